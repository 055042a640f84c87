//! Every piece of user-visible console text, in Turkish (the default) and
//! English. Widgets never hold string literals: they ask for a [`Text`] key.
//!
//! The two tables are plain lists so a missing or doubled entry is a test
//! failure with the key's name, not a silent fallback in production.

use serde::Deserialize;

/// The console's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Tr,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "tr" => Some(Lang::Tr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Looks up `key`. A key missing from a table (a bug the tests catch)
    /// shows its own name rather than panicking in front of an agent.
    pub fn t(self, key: Text) -> &'static str {
        let table = match self {
            Lang::Tr => TR,
            Lang::En => EN,
        };
        table.iter().find(|(k, _)| *k == key).map(|(_, v)| *v).unwrap_or_else(|| key.name())
    }

    /// Looks up `key` and fills `{0}`, `{1}`, … with `args`.
    pub fn f(self, key: Text, args: &[&str]) -> String {
        let mut out = self.t(key).to_string();
        for (i, a) in args.iter().enumerate() {
            out = out.replace(&format!("{{{i}}}"), a);
        }
        out
    }
}

macro_rules! text_keys {
    ($($key:ident),* $(,)?) => {
        /// A key into the string tables.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Text { $($key),* }

        impl Text {
            pub const ALL: &'static [Text] = &[$(Text::$key),*];

            pub fn name(self) -> &'static str {
                match self { $(Text::$key => stringify!($key)),* }
            }
        }
    };
}

text_keys! {
    AppTitle,
    ScreenCall, ScreenQueue, ScreenWallboard, ScreenIntake, ScreenHelp,
    PaneCallSearch, PaneCallHistory, PaneCallForm, PaneCallNearby,
    PaneQueueList, PaneQueueDetail, PaneQueueTimeline,
    PaneWallUnits, PaneWallBreaches, PaneWallActivity,
    PaneIntakeList, PaneIntakePreview,
    PaneHelpKeys,
    EmptyCallSearch, EmptyCallHistory, EmptyCallForm, EmptyCallNearby,
    EmptyQueueList, EmptyQueueDetail, EmptyQueueTimeline,
    EmptyWallUnits, EmptyWallBreaches, EmptyWallActivity,
    EmptyIntakeList, EmptyIntakePreview,
    Online, Offline, Connecting, Pending, LastSync, Never, CallTimer, NotLoggedIn,
    RoleAgent, RoleUnitRep, RoleLead, RoleAdmin,
    RoleAgentShort, RoleUnitRepShort, RoleLeadShort, RoleAdminShort, LastSyncShort,
    BannerEmbedded,
    SeedingTitle, SeedingCitizens, SeedingRequests, SeedingHint, StartingServer,
    LoginTitle, LoginServer, LoginUsername, LoginPassword, LoginHint, LoginInProgress,
    LoginFailed, LoginMissingFields, ReasonUnauthorized, ReasonUnreachable,
    EnlargeWindow,
    PaletteTitle, PalettePrompt, PaletteEmpty,
    HelpOverlayTitle, HelpIntro, HelpUserFile, HelpGlobal, HelpModalPalette, HelpModalHelp,
    HelpModalLogin, PendingKeys,
    ConfigProblems, ServerUnreachable, EmbeddedFailed, SessionExpired, QuitWithPending,
    CheckConfigOk, CheckConfigProblems,
    ActQuit, ActGotoCall, ActGotoQueue, ActGotoWallboard, ActGotoIntake, ActGotoHelp,
    ActOpenPalette, ActToggleHelp, ActFocusNext, ActFocusPrev, ActUp, ActDown,
    ActPageUp, ActPageDown, ActTop, ActBottom, ActConfirm, ActCancel,
    ActToggleCallTimer, ActRefresh,
    ActNextField, ActPrevField, ActFocusSearch, ActCallSubmit, ActCallNext, ActNewCaller, ActAnonymousCaller, ActAcceptSuggestion1, ActAcceptSuggestion2, ActAcceptSuggestion3, ActAddNote, ActAskUpdate, ActCoReport, ActToggle, NewCallerTitle, NoteTitle, TimelineTitle, UpdateTitle, CallDiscardWarning, CoReportNeedsCaller, CallAlreadyFiled, NoteEmpty, IncomingWhileBusy, PasteCut, FieldKind, FieldChannel, FieldDescription, FieldCategory, FieldDistrict, FieldNeighbourhood, FieldStreet, FieldPriority, FieldAnswer, FieldUnit, FieldUnitReason, FieldRouted, Suggestions, EmergencyWarning, AnswerClosesHint, ErrRequired, ErrNoCaller, ErrUnitReason, ErrAnswerOnlyInfo, SaveFailed, Saving, TrackingTitle, FiledTo, CoReported, NextCallHint, BadgeSent, BadgeNotSent, BadgeRejected, BadgeConflict, AnonymousCaller, IdentityHidden, HitsFromCache, NoHits, SearchPrompt, OpenCount, NoHistory, HistoryHint, NearbyHint, NearbyNone, CoReporters, NcName, NcPhone, NcTckn, NcHide, NcHint, ErrNameRequired, ErrPhone, ErrTckn, NoteFor, UpdateStatus, UpdateLastAnswer, UpdateNoAnswer, UpdateLogged, CloseHint, EvCreated, EvForwarded, EvAccepted, EvAssigned, EvNote, EvStatusChanged, EvRerouted, EvResolved, EvInformed, EvReopened, EvContact, EvCoReporter, EvEscalated, Internal, AgeMinutes, AgeHours, AgeDays, ChosenNone,
}

use Text::*;

/// Türkçe.
const TR: &[(Text, &str)] = &[
    (AppTitle, "Beyaz Masa"),
    (ScreenCall, "Çağrı"),
    (ScreenQueue, "Kuyruk"),
    (ScreenWallboard, "Pano"),
    (ScreenIntake, "Gelen kutusu"),
    (ScreenHelp, "Yardım"),
    (PaneCallSearch, "Arayan"),
    (PaneCallHistory, "Geçmiş başvurular"),
    (PaneCallForm, "Yeni başvuru"),
    (PaneCallNearby, "Yakındaki başvurular"),
    (PaneQueueList, "Birim kuyruğu"),
    (PaneQueueDetail, "Başvuru ayrıntısı"),
    (PaneQueueTimeline, "Zaman çizelgesi"),
    (PaneWallUnits, "Birim kuyrukları"),
    (PaneWallBreaches, "SLA ihlalleri"),
    (PaneWallActivity, "Canlı akış"),
    (PaneIntakeList, "Bekleyen kayıtlar"),
    (PaneIntakePreview, "Önizleme"),
    (PaneHelpKeys, "Kısayollar"),
    (EmptyCallSearch, "Arayan numarası gelmedi. Telefon, ad soyad, T.C. kimlik no veya adresle arayın."),
    (EmptyCallHistory, "Vatandaş seçilince önceki başvuruları ve açık kayıtları burada görünür."),
    (EmptyCallForm, "Tür, kategori, konum ve öncelik burada girilir. Vatandaş seçin ya da anonim kayıt açın."),
    (EmptyCallNearby, "Konum girilince yakında aynı konuda yapılmış başvurular burada listelenir."),
    (EmptyQueueList, "Kuyrukta bekleyen başvuru yok."),
    (EmptyQueueDetail, "Ayrıntıları görmek için listeden bir başvuru seçin."),
    (EmptyQueueTimeline, "Seçili başvurunun olayları burada görünür."),
    (EmptyWallUnits, "Birim kuyruklarının verisi henüz gelmedi."),
    (EmptyWallBreaches, "SLA süresi aşılmış başvuru yok."),
    (EmptyWallActivity, "Yeni olaylar geldikçe burada akar."),
    (EmptyIntakeList, "Web, SMS, e-posta ve sosyal medyadan bekleyen kayıt yok."),
    (EmptyIntakePreview, "Önizlemek için bir kayıt seçin."),
    (Online, "Çevrim içi"),
    (Offline, "Çevrim dışı"),
    (Connecting, "Bağlanıyor"),
    (Pending, "Bekleyen"),
    (LastSync, "Son eşitleme"),
    (Never, "yok"),
    (CallTimer, "Görüşme"),
    (NotLoggedIn, "Oturum yok"),
    (RoleAgent, "Çağrı temsilcisi"),
    (RoleUnitRep, "Birim temsilcisi"),
    (RoleLead, "Vardiya amiri"),
    (RoleAdmin, "Yönetici"),
    (RoleAgentShort, "Temsilci"),
    (RoleUnitRepShort, "Birim"),
    (RoleLeadShort, "Amir"),
    (RoleAdminShort, "Yönetici"),
    (LastSyncShort, "Eşitleme"),
    (BannerEmbedded, "Yerel demo"),
    (SeedingTitle, "Yerel demo hazırlanıyor"),
    (SeedingCitizens, "Vatandaşlar"),
    (SeedingRequests, "Başvurular"),
    (SeedingHint, "İlk açılışta bir kez yapılır; veriler veri dizinindeki yerel dosyada kalır."),
    (StartingServer, "Yerel sunucu başlatılıyor…"),
    (LoginTitle, "Oturum aç"),
    (LoginServer, "Sunucu"),
    (LoginUsername, "Kullanıcı adı"),
    (LoginPassword, "Parola"),
    (LoginHint, "Tab alan değiştirir, Enter oturum açar."),
    (LoginInProgress, "Oturum açılıyor…"),
    (LoginFailed, "Oturum açılamadı: {0}"),
    (LoginMissingFields, "Kullanıcı adı ve parola gerekli."),
    (ReasonUnauthorized, "kullanıcı adı veya parola yanlış"),
    (ReasonUnreachable, "sunucuya ulaşılamıyor"),
    (EnlargeWindow, "Pencereyi büyütün: en az {0}×{1} gerekli, şu an {2}×{3}."),
    (PaletteTitle, "Komut paleti"),
    (PalettePrompt, "Komut ara"),
    (PaletteEmpty, "Eşleşen komut yok."),
    (HelpOverlayTitle, "Bu ekrandaki kısayollar"),
    (HelpIntro, "Tuş atamaları canlı tuş haritasından gelir; değiştirince bu liste de değişir."),
    (HelpUserFile, "Kullanıcı tuş haritası: {0}"),
    (HelpGlobal, "Her yerde"),
    (HelpModalPalette, "Komut paleti"),
    (HelpModalHelp, "Kısayol penceresi"),
    (HelpModalLogin, "Oturum açma"),
    (PendingKeys, "Devamı:"),
    (ConfigProblems, "Yapılandırma sorunu: {0}"),
    (ServerUnreachable, "Sunucuya ulaşılamıyor; çevrim dışı çalışılıyor."),
    (EmbeddedFailed, "Yerel sunucu başlatılamadı: {0}"),
    (
        QuitWithPending,
        "{0} kayıt henüz sunucuya gönderilmedi; bu bilgisayarda saklanıyor ve sonraki açılışta gönderilecek. Yine de çıkmak için tekrar basın.",
    ),
    (SessionExpired, "Oturumun süresi doldu; yeniden oturum açın."),
    (CheckConfigOk, "Yapılandırma geçerli: {0}"),
    (CheckConfigProblems, "{0} sorun bulundu."),
    (ActQuit, "Çıkış"),
    (ActGotoCall, "Çağrı ekranı"),
    (ActGotoQueue, "Kuyruk ekranı"),
    (ActGotoWallboard, "Pano ekranı"),
    (ActGotoIntake, "Gelen kutusu"),
    (ActGotoHelp, "Yardım ekranı"),
    (ActOpenPalette, "Komut paleti"),
    (ActToggleHelp, "Kısayol yardımı"),
    (ActFocusNext, "Sonraki bölme"),
    (ActFocusPrev, "Önceki bölme"),
    (ActUp, "Yukarı"),
    (ActDown, "Aşağı"),
    (ActPageUp, "Sayfa yukarı"),
    (ActPageDown, "Sayfa aşağı"),
    (ActTop, "En üste"),
    (ActBottom, "En alta"),
    (ActConfirm, "Onayla"),
    (ActCancel, "Vazgeç"),
    (ActToggleCallTimer, "Görüşme sayacı"),
    (ActRefresh, "Bağlantıyı yokla"),
    (ActNextField, "Sonraki alan"),
    (ActPrevField, "Önceki alan"),
    (ActFocusSearch, "Arayan ara"),
    (ActCallSubmit, "Kaydet ve ilet"),
    (ActCallNext, "Yeni çağrı"),
    (ActNewCaller, "Yeni arayan"),
    (ActAnonymousCaller, "Anonim"),
    (ActAcceptSuggestion1, "1. öneriyi al"),
    (ActAcceptSuggestion2, "2. öneriyi al"),
    (ActAcceptSuggestion3, "3. öneriyi al"),
    (ActAddNote, "Not ekle"),
    (ActAskUpdate, "Bilgi istiyor"),
    (ActCoReport, "Ortak bildiren ekle"),
    (ActToggle, "Seç / kaldır"),
    (NewCallerTitle, "Yeni arayan"),
    (NoteTitle, "Not ekle"),
    (TimelineTitle, "Başvuru geçmişi"),
    (UpdateTitle, "Vatandaşa okunacak bilgi"),
    (CallDiscardWarning, "Kaydedilmemiş başvuru silinecek. Emin iseniz yeni çağrı tuşuna tekrar basın."),
    (CoReportNeedsCaller, "Ortak bildiren eklemek için önce arayanı seçin."),
    (CallAlreadyFiled, "Bu çağrının kaydı alındı. Yeni çağrı için ctrl-x."),
    (NoteEmpty, "Not boş olamaz."),
    (IncomingWhileBusy, "Gelen çağrı: {0}. Önce açık kaydı bitirin."),
    (PasteCut, "Yapıştırılan metin {0} karakterde kesildi."),
    (FieldKind, "Tür"),
    (FieldChannel, "Kanal"),
    (FieldDescription, "Açıklama"),
    (FieldCategory, "Kategori"),
    (FieldDistrict, "İlçe"),
    (FieldNeighbourhood, "Mahalle"),
    (FieldStreet, "Adres"),
    (FieldPriority, "Öncelik"),
    (FieldAnswer, "Verilen cevap"),
    (FieldUnit, "Birim"),
    (FieldUnitReason, "Gerekçe"),
    (FieldRouted, "otomatik: {0}"),
    (Suggestions, "Öneri"),
    (EmergencyWarning, "ACİL DURUM: arayanı hemen 112'ye aktarın!"),
    (AnswerClosesHint, "Cevap yazılırsa kayıt çağrıda kapanır."),
    (ErrRequired, "zorunlu"),
    (ErrNoCaller, "Önce arayanı seçin ya da yeni/anonim kayıt açın."),
    (ErrUnitReason, "birim değişikliğinin gerekçesini yazın"),
    (ErrAnswerOnlyInfo, "yalnız bilgi türünde"),
    (SaveFailed, "Kaydedilemedi: {0}. Yazdıklarınız duruyor."),
    (Saving, "Kaydediliyor…"),
    (TrackingTitle, "TAKİP NUMARASI"),
    (FiledTo, "{0} birimine iletildi · {1}"),
    (CoReported, "Arayan mevcut başvuruya ortak bildiren olarak eklendi."),
    (NextCallHint, "{0}: yeni çağrı"),
    (BadgeSent, "gönderildi"),
    (BadgeNotSent, "gönderilmedi"),
    (BadgeRejected, "reddedildi: {0}"),
    (BadgeConflict, "çakışma: {0}"),
    (AnonymousCaller, "Anonim arayan"),
    (IdentityHidden, "kimliği gizli"),
    (HitsFromCache, "{0} sonuç · yerel önbellekten"),
    (NoHits, "Eşleşen vatandaş yok. {0}: yeni arayan · {1}: anonim"),
    (SearchPrompt, "Telefon, ad, T.C. kimlik no veya adres"),
    (OpenCount, "{0} açık"),
    (NoHistory, "Bu vatandaşın önceki başvurusu yok."),
    (HistoryHint, "{0}: not · {1}: bilgi istiyor · enter: geçmiş"),
    (NearbyHint, "Son 30 gün, aynı kategori ve mahalle. {0}: arayanı ortak bildiren ekle"),
    (NearbyNone, "Son 30 günde aynı mahallede bu konuda açık başvuru yok."),
    (CoReporters, "+{0} bildiren"),
    (NcName, "Ad soyad"),
    (NcPhone, "Telefon"),
    (NcTckn, "T.C. Kimlik No"),
    (NcHide, "Kimliğim gizlensin (KVKK)"),
    (NcHint, "enter: kaydet · tab: sonraki alan · boşluk: işaretle · esc: vazgeç"),
    (ErrNameRequired, "Ad soyad gerekli"),
    (ErrPhone, "Telefon geçersiz: {0}"),
    (ErrTckn, "T.C. Kimlik No geçersiz: {0}"),
    (NoteFor, "{0} için not (vatandaşa görünür). enter: kaydet · esc: vazgeç"),
    (UpdateStatus, "{0} · Durum: {1} · Birim: {2}"),
    (UpdateLastAnswer, "Son cevap ({0}):"),
    (UpdateNoAnswer, "Birimden henüz cevap yok. Açılış: {0} · SLA bitişi: {1}"),
    (UpdateLogged, "Arama başvuruya işlendi ({0}. kez)."),
    (CloseHint, "enter / esc: kapat"),
    (EvCreated, "oluşturuldu"),
    (EvForwarded, "birime iletildi"),
    (EvAccepted, "kabul edildi"),
    (EvAssigned, "atandı"),
    (EvNote, "not"),
    (EvStatusChanged, "durum değişti"),
    (EvRerouted, "başka birime yönlendirildi"),
    (EvResolved, "sonuçlandı"),
    (EvInformed, "vatandaş bilgilendirildi"),
    (EvReopened, "yeniden açıldı"),
    (EvContact, "vatandaş yeniden aradı"),
    (EvCoReporter, "ortak bildiren eklendi"),
    (EvEscalated, "vardiya amirine iletildi"),
    (Internal, "iç not"),
    (AgeMinutes, "{0} dk"),
    (AgeHours, "{0} sa"),
    (AgeDays, "{0} g"),
    (ChosenNone, "—"),
];

/// English.
const EN: &[(Text, &str)] = &[
    (AppTitle, "Beyaz Masa"),
    (ScreenCall, "Call"),
    (ScreenQueue, "Queue"),
    (ScreenWallboard, "Wallboard"),
    (ScreenIntake, "Inbox"),
    (ScreenHelp, "Help"),
    (PaneCallSearch, "Caller"),
    (PaneCallHistory, "Previous requests"),
    (PaneCallForm, "New request"),
    (PaneCallNearby, "Nearby requests"),
    (PaneQueueList, "Unit queue"),
    (PaneQueueDetail, "Request details"),
    (PaneQueueTimeline, "Timeline"),
    (PaneWallUnits, "Unit queues"),
    (PaneWallBreaches, "SLA breaches"),
    (PaneWallActivity, "Live feed"),
    (PaneIntakeList, "Waiting items"),
    (PaneIntakePreview, "Preview"),
    (PaneHelpKeys, "Key bindings"),
    (EmptyCallSearch, "No caller ID yet. Search by phone, full name, ID number or address."),
    (EmptyCallHistory, "Pick a citizen to see their previous and open requests here."),
    (EmptyCallForm, "Type, category, location and priority go here. Pick a citizen or file anonymously."),
    (EmptyCallNearby, "Once a location is entered, similar requests nearby are listed here."),
    (EmptyQueueList, "No requests waiting in the queue."),
    (EmptyQueueDetail, "Pick a request from the list to see its details."),
    (EmptyQueueTimeline, "The selected request's events appear here."),
    (EmptyWallUnits, "No unit queue data yet."),
    (EmptyWallBreaches, "No request is past its SLA."),
    (EmptyWallActivity, "New events stream here as they arrive."),
    (EmptyIntakeList, "Nothing waiting from web, SMS, e-mail or social media."),
    (EmptyIntakePreview, "Pick an item to preview it."),
    (Online, "Online"),
    (Offline, "Offline"),
    (Connecting, "Connecting"),
    (Pending, "Pending"),
    (LastSync, "Last sync"),
    (Never, "never"),
    (CallTimer, "Call"),
    (NotLoggedIn, "Not signed in"),
    (RoleAgent, "Call agent"),
    (RoleUnitRep, "Unit representative"),
    (RoleLead, "Shift lead"),
    (RoleAdmin, "Administrator"),
    (RoleAgentShort, "Agent"),
    (RoleUnitRepShort, "Unit rep"),
    (RoleLeadShort, "Lead"),
    (RoleAdminShort, "Admin"),
    (LastSyncShort, "Sync"),
    (BannerEmbedded, "Local demo"),
    (SeedingTitle, "Preparing the local demo"),
    (SeedingCitizens, "Citizens"),
    (SeedingRequests, "Requests"),
    (SeedingHint, "This happens once, on first start; the data stays in a local file in the data dir."),
    (StartingServer, "Starting the local server…"),
    (LoginTitle, "Sign in"),
    (LoginServer, "Server"),
    (LoginUsername, "User name"),
    (LoginPassword, "Password"),
    (LoginHint, "Tab switches fields, Enter signs in."),
    (LoginInProgress, "Signing in…"),
    (LoginFailed, "Could not sign in: {0}"),
    (LoginMissingFields, "User name and password are required."),
    (ReasonUnauthorized, "wrong user name or password"),
    (ReasonUnreachable, "the server cannot be reached"),
    (EnlargeWindow, "Please enlarge the window: at least {0}×{1} is needed, now {2}×{3}."),
    (PaletteTitle, "Command palette"),
    (PalettePrompt, "Find a command"),
    (PaletteEmpty, "No matching command."),
    (HelpOverlayTitle, "Keys on this screen"),
    (HelpIntro, "Bindings come from the live keymap; rebinding a key changes this list."),
    (HelpUserFile, "User keymap: {0}"),
    (HelpGlobal, "Everywhere"),
    (HelpModalPalette, "Command palette"),
    (HelpModalHelp, "Key help window"),
    (HelpModalLogin, "Sign-in"),
    (PendingKeys, "Continue with:"),
    (ConfigProblems, "Configuration problem: {0}"),
    (ServerUnreachable, "The server cannot be reached; working offline."),
    (EmbeddedFailed, "The local server could not start: {0}"),
    (
        QuitWithPending,
        "{0} records have not reached the server yet; they are kept on this computer and sent at the next start. Press again to quit anyway.",
    ),
    (SessionExpired, "The session has expired; please sign in again."),
    (CheckConfigOk, "Configuration is valid: {0}"),
    (CheckConfigProblems, "{0} problem(s) found."),
    (ActQuit, "Quit"),
    (ActGotoCall, "Call screen"),
    (ActGotoQueue, "Queue screen"),
    (ActGotoWallboard, "Wallboard screen"),
    (ActGotoIntake, "Intake inbox"),
    (ActGotoHelp, "Help screen"),
    (ActOpenPalette, "Command palette"),
    (ActToggleHelp, "Key help"),
    (ActFocusNext, "Next pane"),
    (ActFocusPrev, "Previous pane"),
    (ActUp, "Up"),
    (ActDown, "Down"),
    (ActPageUp, "Page up"),
    (ActPageDown, "Page down"),
    (ActTop, "Top"),
    (ActBottom, "Bottom"),
    (ActConfirm, "Confirm"),
    (ActCancel, "Cancel"),
    (ActToggleCallTimer, "Call timer"),
    (ActRefresh, "Check the connection"),
    (ActNextField, "Next field"),
    (ActPrevField, "Previous field"),
    (ActFocusSearch, "Find caller"),
    (ActCallSubmit, "Save and forward"),
    (ActCallNext, "Next call"),
    (ActNewCaller, "New caller"),
    (ActAnonymousCaller, "Anonymous"),
    (ActAcceptSuggestion1, "Take suggestion 1"),
    (ActAcceptSuggestion2, "Take suggestion 2"),
    (ActAcceptSuggestion3, "Take suggestion 3"),
    (ActAddNote, "Add note"),
    (ActAskUpdate, "Asks for update"),
    (ActCoReport, "Add as co-reporter"),
    (ActToggle, "Toggle"),
    (NewCallerTitle, "New caller"),
    (NoteTitle, "Add a note"),
    (TimelineTitle, "Request timeline"),
    (UpdateTitle, "What to tell the citizen"),
    (CallDiscardWarning, "The unsaved request will be discarded. Press next call again to confirm."),
    (CoReportNeedsCaller, "Select the caller before adding them as a co-reporter."),
    (CallAlreadyFiled, "This call's request is saved. Start the next call first."),
    (NoteEmpty, "The note cannot be empty."),
    (IncomingWhileBusy, "Incoming call: {0}. Finish the open request first."),
    (PasteCut, "The pasted text was cut at {0} characters."),
    (FieldKind, "Type"),
    (FieldChannel, "Channel"),
    (FieldDescription, "Description"),
    (FieldCategory, "Category"),
    (FieldDistrict, "District"),
    (FieldNeighbourhood, "Neighbourhood"),
    (FieldStreet, "Address"),
    (FieldPriority, "Priority"),
    (FieldAnswer, "Answer given"),
    (FieldUnit, "Unit"),
    (FieldUnitReason, "Reason"),
    (FieldRouted, "routed: {0}"),
    (Suggestions, "Suggested"),
    (EmergencyWarning, "EMERGENCY: transfer the caller to 112 now!"),
    (AnswerClosesHint, "With an answer the request is closed on the call."),
    (ErrRequired, "required"),
    (ErrNoCaller, "Select the caller, or start a new or anonymous one."),
    (ErrUnitReason, "give a reason for the unit change"),
    (ErrAnswerOnlyInfo, "information requests only"),
    (SaveFailed, "Not saved: {0}. Your input is kept."),
    (Saving, "Saving…"),
    (TrackingTitle, "TRACKING NUMBER"),
    (FiledTo, "Forwarded to {0} · {1}"),
    (CoReported, "The caller was added to the existing request as a co-reporter."),
    (NextCallHint, "{0}: next call"),
    (BadgeSent, "sent"),
    (BadgeNotSent, "not sent"),
    (BadgeRejected, "rejected: {0}"),
    (BadgeConflict, "conflict: {0}"),
    (AnonymousCaller, "Anonymous caller"),
    (IdentityHidden, "identity hidden"),
    (HitsFromCache, "{0} results · from the local cache"),
    (NoHits, "No matching citizen. {0}: new caller · {1}: anonymous"),
    (SearchPrompt, "Phone, name, ID number or address"),
    (OpenCount, "{0} open"),
    (NoHistory, "No earlier requests from this citizen."),
    (HistoryHint, "{0}: note · {1}: asks for update · enter: timeline"),
    (NearbyHint, "Last 30 days, same category and neighbourhood. {0}: add caller as co-reporter"),
    (NearbyNone, "No open request on this in the same neighbourhood in the last 30 days."),
    (CoReporters, "+{0} reporters"),
    (NcName, "Full name"),
    (NcPhone, "Phone"),
    (NcTckn, "T.C. ID number"),
    (NcHide, "Hide my identity (KVKK)"),
    (NcHint, "enter: save · tab: next field · space: toggle · esc: cancel"),
    (ErrNameRequired, "Full name is required"),
    (ErrPhone, "Invalid phone: {0}"),
    (ErrTckn, "Invalid ID number: {0}"),
    (NoteFor, "Note on {0} (visible to the citizen). enter: save · esc: cancel"),
    (UpdateStatus, "{0} · Status: {1} · Unit: {2}"),
    (UpdateLastAnswer, "Last answer ({0}):"),
    (UpdateNoAnswer, "No answer from the unit yet. Opened: {0} · Due: {1}"),
    (UpdateLogged, "The call was logged on the request (time {0})."),
    (CloseHint, "enter / esc: close"),
    (EvCreated, "created"),
    (EvForwarded, "forwarded"),
    (EvAccepted, "accepted"),
    (EvAssigned, "assigned"),
    (EvNote, "note"),
    (EvStatusChanged, "status changed"),
    (EvRerouted, "rerouted"),
    (EvResolved, "resolved"),
    (EvInformed, "citizen informed"),
    (EvReopened, "reopened"),
    (EvContact, "citizen called again"),
    (EvCoReporter, "co-reporter added"),
    (EvEscalated, "escalated"),
    (Internal, "internal"),
    (AgeMinutes, "{0} min"),
    (AgeHours, "{0} h"),
    (AgeDays, "{0} d"),
    (ChosenNone, "—"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn check_table(name: &str, table: &[(Text, &str)]) -> Vec<String> {
        let mut problems = Vec::new();
        for key in Text::ALL {
            let n = table.iter().filter(|(k, _)| k == key).count();
            if n != 1 {
                problems.push(format!("{name}: {} has {n} entries", key.name()));
            }
        }
        for (key, value) in table {
            if value.trim().is_empty() {
                problems.push(format!("{name}: {} is empty", key.name()));
            }
        }
        problems
    }

    #[test]
    fn every_key_is_in_both_tables_exactly_once() {
        let mut problems = check_table("tr", TR);
        problems.extend(check_table("en", EN));
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn placeholders_match_between_languages() {
        for key in Text::ALL {
            for i in 0..4 {
                let p = format!("{{{i}}}");
                assert_eq!(
                    Lang::Tr.t(*key).contains(&p),
                    Lang::En.t(*key).contains(&p),
                    "{} placeholder {p}",
                    key.name()
                );
            }
        }
    }

    #[test]
    fn formats_arguments() {
        assert_eq!(
            Lang::Tr.f(Text::EnlargeWindow, &["80", "24", "60", "20"]),
            "Pencereyi büyütün: en az 80×24 gerekli, şu an 60×20."
        );
    }
}
