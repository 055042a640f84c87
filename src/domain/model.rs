//! Small value types of the domain: request type, channel, priority.

use serde::{Deserialize, Serialize};

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $s:literal / $tr:literal / $en:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $s),+ } }
            pub fn parse(s: &str) -> Option<Self> { Self::ALL.iter().copied().find(|v| v.as_str() == s) }
            pub fn label_tr(self) -> &'static str { match self { $($name::$variant => $tr),+ } }
            pub fn label_en(self) -> &'static str { match self { $($name::$variant => $en),+ } }
        }
    };
}

str_enum! {
    /// Başvuru türü.
    RequestType {
        Request = "request" / "Talep" / "Request",
        Complaint = "complaint" / "Şikâyet" / "Complaint",
        Suggestion = "suggestion" / "Öneri" / "Suggestion",
        Information = "information" / "Bilgi" / "Information",
        Report = "report" / "İhbar" / "Report",
        Thanks = "thanks" / "Teşekkür" / "Thanks",
    }
}

str_enum! {
    /// The line or medium a request came in on.
    Channel {
        Line153 = "line153" / "ALO 153" / "ALO 153",
        Line185 = "line185" / "185 GASKİ" / "185 GASKİ",
        Line188 = "line188" / "188 Cenaze" / "188 Funerals",
        Line444 = "line444" / "444 00 27" / "444 00 27",
        Web = "web" / "Web" / "Web",
        Sms = "sms" / "SMS" / "SMS",
        Email = "email" / "E-posta" / "E-mail",
        Post = "post" / "Posta" / "Post",
        Fax = "fax" / "Faks" / "Fax",
        Chat = "chat" / "Canlı destek" / "Online chat",
        Social = "social" / "Sosyal medya" / "Social media",
        WalkIn = "walk_in" / "Beyaz Masa (yüz yüze)" / "Walk-in desk",
    }
}

str_enum! {
    Priority {
        Low = "low" / "Düşük" / "Low",
        Normal = "normal" / "Normal" / "Normal",
        High = "high" / "Yüksek" / "High",
        Urgent = "urgent" / "Acil" / "Urgent",
    }
}

impl Channel {
    /// Phone lines are answered by agents; the rest arrive in the intake inbox.
    pub fn is_phone(self) -> bool {
        matches!(self, Channel::Line153 | Channel::Line185 | Channel::Line188 | Channel::Line444)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for t in RequestType::ALL {
            assert_eq!(RequestType::parse(t.as_str()), Some(*t));
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
        }
        for c in Channel::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        for p in Priority::ALL {
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
    }
}
