//! The working-day calendar behind SLA due times, in Europe/Istanbul.
//!
//! Türkiye has kept UTC+3 all year since 2016, so local time is a fixed
//! offset ([`istanbul`]); all instants in and out are UTC.
//!
//! - A **working day** is Monday to Friday, unless the holiday list marks it
//!   a full holiday. A half day (arife, 28 Ekim) is a working day whose work
//!   ends at 13:00.
//! - **Working hours** are 08:00–17:00 ([`WORK_START`]–[`WORK_END`]), or
//!   08:00–13:00 on a half day ([`HALF_DAY_END`]). The lunch hour is not
//!   taken out.
//! - **Due times** ([`WorkCalendar::due`]):
//!   - [`SlaTarget::Hours`]`(n)` is `start` plus `n` calendar hours, round the
//!     clock; weekends and holidays do not matter.
//!   - [`SlaTarget::WorkingDays`]`(n)`, for `n ≥ 1`, is the end of working
//!     hours (17:00, or 13:00 on a half day) of the `n`-th working day
//!     **after** the local day of `start`: the day of filing never counts,
//!     whatever the hour (Law 4982 style, "15 iş günü"). A request filed on
//!     a weekend or holiday counts from the next working day.
//!   - `WorkingDays(0)` ("same working day") is the end of working hours of
//!     the first working day, counting the day of `start`, whose working
//!     hours have not yet ended at `start`. Filed Monday 10:00 → Monday
//!     17:00; filed Monday 18:00 or Saturday → the next working day, 17:00.
//! - **Pauses** ([`WorkCalendar::extend_for_pause`]): while a request waits
//!   for the citizen its clock stops. For `Hours` the due time moves by the
//!   pause's length; for `WorkingDays` it moves by the working minutes the
//!   pause covered, counted forward through working hours from the old due
//!   time. A pause never moves a due time earlier.
//!
//! Holidays come from `data/holidays.json` ([`WorkCalendar::shipped`]) or an
//! admin-edited list ([`WorkCalendar::new`]), since bridge days ("idari
//! izin") are announced ad hoc.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, Utc, Weekday};

use super::reference::{Holiday, HolidayKind, SlaTarget};

/// Start of working hours, local time.
pub const WORK_START: NaiveTime = hm(8, 0);
/// End of working hours on an ordinary working day, local time.
pub const WORK_END: NaiveTime = hm(17, 0);
/// End of working hours on a half day (arife, 28 Ekim), local time.
pub const HALF_DAY_END: NaiveTime = hm(13, 0);

/// UTC offset of Europe/Istanbul in seconds (+03:00, no daylight saving).
const ISTANBUL_OFFSET_SECS: i32 = 3 * 3600;

const fn hm(h: u32, m: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(h, m, 0) {
        Some(t) => t,
        None => panic!("valid time"),
    }
}

/// Europe/Istanbul as a fixed offset, +03:00.
pub fn istanbul() -> FixedOffset {
    FixedOffset::east_opt(ISTANBUL_OFFSET_SECS).expect("+03:00 is a valid offset")
}

/// The local (Istanbul) date of an instant.
fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&istanbul()).date_naive()
}

/// The instant of a local (Istanbul) date and time.
fn local_instant(d: NaiveDate, t: NaiveTime) -> DateTime<Utc> {
    let local = d.and_time(t) - Duration::seconds(i64::from(ISTANBUL_OFFSET_SECS));
    DateTime::from_naive_utc_and_offset(local, Utc)
}

/// Working days and hours, with a holiday list.
#[derive(Debug, Clone, Default)]
pub struct WorkCalendar {
    holidays: HashMap<NaiveDate, HolidayKind>,
}

impl WorkCalendar {
    /// A calendar with these holidays. If a date is listed twice, a full
    /// holiday wins over a half day.
    pub fn new(holidays: &[Holiday]) -> Self {
        let mut map = HashMap::with_capacity(holidays.len());
        for h in holidays {
            map.entry(h.date)
                .and_modify(|k| {
                    if h.kind == HolidayKind::Full {
                        *k = HolidayKind::Full;
                    }
                })
                .or_insert(h.kind);
        }
        WorkCalendar { holidays: map }
    }

    /// The calendar of the shipped holiday list (`data/holidays.json`),
    /// built once.
    pub fn shipped() -> &'static WorkCalendar {
        static SHIPPED: OnceLock<WorkCalendar> = OnceLock::new();
        SHIPPED.get_or_init(|| WorkCalendar::new(&super::reference::shipped_holidays().holidays))
    }

    /// The holiday on a date, if any (full or half day), whatever the
    /// weekday.
    pub fn holiday(&self, d: NaiveDate) -> Option<HolidayKind> {
        self.holidays.get(&d).copied()
    }

    /// Monday to Friday and not a full holiday. Half days are working days.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun) && self.holiday(d) != Some(HolidayKind::Full)
    }

    /// Local working hours of a date: 08:00–17:00, 08:00–13:00 on a half
    /// day, `None` on weekends and full holidays.
    pub fn working_hours(&self, d: NaiveDate) -> Option<(NaiveTime, NaiveTime)> {
        if !self.is_working_day(d) {
            return None;
        }
        match self.holiday(d) {
            Some(HolidayKind::Half) => Some((WORK_START, HALF_DAY_END)),
            _ => Some((WORK_START, WORK_END)),
        }
    }

    /// Working hours of a date as UTC instants.
    fn working_window(&self, d: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.working_hours(d).map(|(s, e)| (local_instant(d, s), local_instant(d, e)))
    }

    /// The due time of a request filed at `start` (see the module
    /// documentation for the rules). Saturates at the end of time for
    /// absurdly large targets.
    pub fn due(&self, start: DateTime<Utc>, target: SlaTarget) -> DateTime<Utc> {
        match target {
            SlaTarget::Hours(n) => {
                start.checked_add_signed(Duration::hours(i64::from(n))).unwrap_or(DateTime::<Utc>::MAX_UTC)
            }
            SlaTarget::WorkingDays(0) => {
                let mut d = local_date(start);
                loop {
                    if let Some((_, end)) = self.working_window(d)
                        && end > start
                    {
                        return end;
                    }
                    match d.succ_opt() {
                        Some(next) => d = next,
                        None => return DateTime::<Utc>::MAX_UTC,
                    }
                }
            }
            SlaTarget::WorkingDays(n) => {
                let mut d = local_date(start);
                let mut counted = 0;
                loop {
                    match d.succ_opt() {
                        Some(next) => d = next,
                        None => return DateTime::<Utc>::MAX_UTC,
                    }
                    if let Some((_, end)) = self.working_window(d) {
                        counted += 1;
                        if counted == n {
                            return end;
                        }
                    }
                }
            }
        }
    }

    /// Working minutes from `a` to `b`: the whole minutes of working hours
    /// within `[a, b)`. Negative when `b` is before `a`.
    pub fn working_minutes_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
        if b < a {
            return -self.working_minutes_between(b, a);
        }
        let last = local_date(b);
        let mut d = local_date(a);
        let mut seconds = 0i64;
        while d <= last {
            if let Some((s, e)) = self.working_window(d) {
                let from = s.max(a);
                let to = e.min(b);
                if to > from {
                    seconds += (to - from).num_seconds();
                }
            }
            match d.succ_opt() {
                Some(next) => d = next,
                None => break,
            }
        }
        seconds / 60
    }

    /// The instant `minutes` working minutes after `t`, counting only
    /// working hours. If the last minute ends exactly at the end of a
    /// working day, that end is returned (17:00, not the next 08:00).
    /// Zero or negative `minutes` return `t` unchanged.
    pub fn add_working_minutes(&self, t: DateTime<Utc>, minutes: i64) -> DateTime<Utc> {
        if minutes <= 0 {
            return t;
        }
        let mut remaining = Duration::minutes(minutes);
        let mut d = local_date(t);
        loop {
            if let Some((s, e)) = self.working_window(d) {
                let from = s.max(t);
                if e > from {
                    let available = e - from;
                    if remaining <= available {
                        return from + remaining;
                    }
                    remaining -= available;
                }
            }
            match d.succ_opt() {
                Some(next) => d = next,
                None => return DateTime::<Utc>::MAX_UTC,
            }
        }
    }

    /// The new due time after the clock was paused (waiting for the
    /// citizen) from `from` to `to`. `Hours`: `due + (to − from)`.
    /// `WorkingDays`: `due` plus the working minutes between `from` and
    /// `to`, counted through working hours. A pause with `to <= from`
    /// changes nothing.
    pub fn extend_for_pause(
        &self,
        due: DateTime<Utc>,
        target: SlaTarget,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> DateTime<Utc> {
        if to <= from {
            return due;
        }
        match target {
            SlaTarget::Hours(_) => due.checked_add_signed(to - from).unwrap_or(DateTime::<Utc>::MAX_UTC),
            SlaTarget::WorkingDays(_) => self.add_working_minutes(due, self.working_minutes_between(from, to)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A local Istanbul date-time, as UTC.
    fn at(s: &str) -> DateTime<Utc> {
        let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap_or_else(|e| panic!("{s}: {e}"));
        local_instant(naive.date(), naive.time())
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cal() -> &'static WorkCalendar {
        WorkCalendar::shipped()
    }

    #[test]
    fn istanbul_is_utc_plus_three() {
        assert_eq!(istanbul().local_minus_utc(), 3 * 3600);
        assert_eq!(at("2026-01-05 08:00").to_rfc3339(), "2026-01-05T05:00:00+00:00");
        assert_eq!(local_date(at("2026-01-05 00:30")), date("2026-01-05"));
    }

    #[test]
    fn working_days_and_hours() {
        let full = Some((WORK_START, WORK_END));
        let half = Some((WORK_START, HALF_DAY_END));
        let cases = [
            ("2026-01-05", true, full),  // Monday
            ("2026-01-09", true, full),  // Friday
            ("2026-01-10", false, None), // Saturday
            ("2026-01-11", false, None), // Sunday
            ("2026-01-01", false, None), // Yılbaşı, Thursday
            ("2026-05-26", true, half),  // Kurban arifesi, Tuesday
            ("2026-05-27", false, None), // Kurban 1
            ("2026-05-29", false, None), // Kurban 3, Friday
            ("2026-10-28", true, half),  // Cumhuriyet arifesi, Wednesday
            ("2026-10-29", false, None), // Cumhuriyet Bayramı
            ("2024-06-15", false, None), // arife on a Saturday
        ];
        for (d, working, hours) in cases {
            assert_eq!(cal().is_working_day(date(d)), working, "{d}");
            assert_eq!(cal().working_hours(date(d)), hours, "{d}");
        }
        assert_eq!(cal().holiday(date("2026-05-26")), Some(HolidayKind::Half));
        assert_eq!(cal().holiday(date("2026-05-25")), None);
    }

    #[test]
    fn working_days_due_times() {
        use SlaTarget::WorkingDays as W;
        let cases = [
            // Ordinary week: the day of filing does not count.
            ("2026-01-05 10:00", W(1), "2026-01-06 17:00"),
            ("2026-01-05 07:00", W(1), "2026-01-06 17:00"),
            ("2026-01-05 10:00", W(4), "2026-01-09 17:00"),
            ("2026-01-05 10:00", W(5), "2026-01-12 17:00"),
            // Filed on Friday evening (and just before midnight).
            ("2026-01-09 19:30", W(1), "2026-01-12 17:00"),
            ("2026-01-09 23:59", W(1), "2026-01-12 17:00"),
            ("2026-01-09 19:30", W(15), "2026-01-30 17:00"),
            // Filed on the weekend.
            ("2026-01-10 12:00", W(1), "2026-01-12 17:00"),
            ("2026-01-11 23:00", W(1), "2026-01-12 17:00"),
            // Kurban Bayramı 2026: arife Tue 26 May (half), 27–30 May off.
            ("2026-05-25 10:00", W(1), "2026-05-26 13:00"),
            ("2026-05-25 10:00", W(2), "2026-06-01 17:00"),
            ("2026-05-25 10:00", W(15), "2026-06-18 17:00"),
            ("2026-05-26 10:00", W(1), "2026-06-01 17:00"),
            ("2026-05-26 15:00", W(1), "2026-06-01 17:00"),
            ("2026-05-22 16:00", W(1), "2026-05-25 17:00"),
            ("2026-05-22 16:00", W(2), "2026-05-26 13:00"),
            // 28 Ekim (half, Wed) and 29 Ekim (full, Thu) 2026.
            ("2026-10-27 15:00", W(1), "2026-10-28 13:00"),
            ("2026-10-27 15:00", W(2), "2026-10-30 17:00"),
            ("2026-10-28 09:00", W(1), "2026-10-30 17:00"),
            // Across the new year: 1 Jan 2026 is a Thursday.
            ("2025-12-31 10:00", W(1), "2026-01-02 17:00"),
            ("2025-12-31 10:00", W(2), "2026-01-05 17:00"),
            ("2025-12-26 10:00", W(5), "2026-01-05 17:00"),
            // Filed on a holiday.
            ("2026-01-01 11:00", W(1), "2026-01-02 17:00"),
            ("2026-05-28 11:00", W(1), "2026-06-01 17:00"),
            ("2026-10-29 11:00", W(1), "2026-10-30 17:00"),
            ("2026-05-30 11:00", W(1), "2026-06-01 17:00"),
        ];
        for (start, target, want) in cases {
            assert_eq!(cal().due(at(start), target), at(want), "{start} {target:?}");
        }
    }

    #[test]
    fn same_working_day_target() {
        use SlaTarget::WorkingDays as W;
        let cases = [
            ("2026-01-05 10:00", "2026-01-05 17:00"),
            ("2026-01-05 07:00", "2026-01-05 17:00"),
            ("2026-01-05 16:59", "2026-01-05 17:00"),
            // After hours or at closing: the next working day.
            ("2026-01-05 17:00", "2026-01-06 17:00"),
            ("2026-01-09 19:30", "2026-01-12 17:00"),
            ("2026-01-10 12:00", "2026-01-12 17:00"),
            ("2026-01-01 11:00", "2026-01-02 17:00"),
            ("2026-05-26 10:00", "2026-05-26 13:00"),
            ("2026-05-26 14:00", "2026-06-01 17:00"),
        ];
        for (start, want) in cases {
            assert_eq!(cal().due(at(start), W(0)), at(want), "{start}");
        }
    }

    #[test]
    fn due_uses_the_local_date_not_the_utc_date() {
        // 00:30 on Friday in Istanbul is still Thursday in UTC.
        let start = at("2026-01-09 00:30");
        assert_eq!(start.date_naive(), date("2026-01-08"));
        assert_eq!(cal().due(start, SlaTarget::WorkingDays(0)), at("2026-01-09 17:00"));
        assert_eq!(cal().due(start, SlaTarget::WorkingDays(1)), at("2026-01-12 17:00"));
    }

    #[test]
    fn hours_target_ignores_holidays_and_weekends() {
        use SlaTarget::Hours as H;
        let cases = [
            ("2026-05-26 10:00", H(48), "2026-05-28 10:00"),
            ("2026-05-26 10:00", H(4), "2026-05-26 14:00"),
            ("2026-01-09 19:30", H(24), "2026-01-10 19:30"),
            ("2025-12-31 22:00", H(3), "2026-01-01 01:00"),
            ("2026-01-05 10:00", H(0), "2026-01-05 10:00"),
        ];
        for (start, target, want) in cases {
            assert_eq!(cal().due(at(start), target), at(want), "{start} {target:?}");
        }
        // u32::MAX hours is past the year 262143: saturates, no panic.
        assert_eq!(cal().due(at("2026-01-05 10:00"), H(u32::MAX)), DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn working_minutes_between_counts_only_working_hours() {
        let cases = [
            ("2026-01-05 09:00", "2026-01-05 10:30", 90),
            ("2026-01-05 07:00", "2026-01-05 09:00", 60),
            ("2026-01-05 16:00", "2026-01-05 20:00", 60),
            ("2026-01-05 18:00", "2026-01-06 07:00", 0),
            ("2026-01-05 08:00", "2026-01-06 08:00", 540),
            ("2026-01-05 00:00", "2026-01-12 00:00", 5 * 540),
            // Across a weekend.
            ("2026-01-09 16:00", "2026-01-12 10:00", 60 + 120),
            // 28 Ekim half day, 29 Ekim off.
            ("2026-10-28 08:00", "2026-10-30 09:00", 300 + 60),
            ("2026-10-28 12:00", "2026-10-28 16:00", 60),
            // Kurban: arife afternoon and the whole bayram are off.
            ("2026-05-26 12:00", "2026-06-01 08:30", 60 + 30),
            // Across the new year.
            ("2025-12-31 16:00", "2026-01-02 09:00", 60 + 60),
            // Seconds are dropped after summing.
            ("2026-01-05 09:00", "2026-01-05 09:00", 0),
        ];
        for (a, b, want) in cases {
            assert_eq!(cal().working_minutes_between(at(a), at(b)), want, "{a} → {b}");
            assert_eq!(cal().working_minutes_between(at(b), at(a)), -want, "{b} → {a}");
        }
        let a = at("2026-01-05 09:00");
        assert_eq!(cal().working_minutes_between(a, a + Duration::seconds(119)), 1);
    }

    #[test]
    fn add_working_minutes_moves_through_working_hours() {
        let cases = [
            ("2026-01-05 09:00", 60, "2026-01-05 10:00"),
            ("2026-01-05 07:00", 60, "2026-01-05 09:00"),
            ("2026-01-05 16:00", 60, "2026-01-05 17:00"),
            ("2026-01-05 16:00", 61, "2026-01-06 08:01"),
            ("2026-01-05 17:00", 60, "2026-01-06 09:00"),
            ("2026-01-05 20:00", 1, "2026-01-06 08:01"),
            ("2026-01-09 16:00", 120, "2026-01-12 09:00"),
            ("2026-01-10 12:00", 30, "2026-01-12 08:30"),
            ("2026-05-25 16:00", 360, "2026-05-26 13:00"),
            ("2026-05-25 16:00", 361, "2026-06-01 08:01"),
            ("2026-10-27 08:00", 540 + 300 + 60, "2026-10-30 09:00"),
            ("2026-10-27 17:00", 540 + 300 + 60, "2026-11-02 09:00"),
            ("2025-12-31 16:00", 120, "2026-01-02 09:00"),
            ("2026-01-05 09:00", 0, "2026-01-05 09:00"),
            ("2026-01-05 20:00", 0, "2026-01-05 20:00"),
            ("2026-01-05 20:00", -30, "2026-01-05 20:00"),
        ];
        for (t, minutes, want) in cases {
            assert_eq!(cal().add_working_minutes(at(t), minutes), at(want), "{t} + {minutes}");
        }
    }

    #[test]
    fn add_and_between_agree_inside_working_hours() {
        let start = at("2026-05-20 09:15");
        for minutes in [1, 59, 540, 541, 1000, 5000, 20_000] {
            let end = cal().add_working_minutes(start, minutes);
            assert_eq!(cal().working_minutes_between(start, end), minutes, "{minutes}");
        }
    }

    #[test]
    fn pause_extends_the_due_time() {
        // Working days: filed Monday, due the next Monday 17:00; paused from
        // Friday 16:00 to Monday 10:00 = 3 working hours.
        let due = cal().due(at("2026-01-05 09:00"), SlaTarget::WorkingDays(5));
        assert_eq!(due, at("2026-01-12 17:00"));
        let target = SlaTarget::WorkingDays(5);
        let extended = cal().extend_for_pause(due, target, at("2026-01-09 16:00"), at("2026-01-12 10:00"));
        assert_eq!(extended, at("2026-01-13 11:00"));
        // A pause over the weekend only adds nothing.
        let weekend = cal().extend_for_pause(due, target, at("2026-01-09 17:00"), at("2026-01-12 08:00"));
        assert_eq!(weekend, due);
        // Two full working days of pause move the due time two working days.
        let two_days = cal().extend_for_pause(due, target, at("2026-01-06 08:00"), at("2026-01-08 08:00"));
        assert_eq!(two_days, at("2026-01-14 17:00"));
        // A pause across Kurban only counts the working part.
        let due = at("2026-05-25 17:00");
        let kurban = cal().extend_for_pause(due, target, at("2026-05-26 12:00"), at("2026-06-01 09:00"));
        assert_eq!(kurban, at("2026-05-26 10:00"));

        // Hours: the pause is added as it is, weekend or not.
        let target = SlaTarget::Hours(24);
        let due = cal().due(at("2026-01-09 12:00"), target);
        let extended = cal().extend_for_pause(due, target, at("2026-01-09 16:00"), at("2026-01-12 10:00"));
        assert_eq!(extended, due + Duration::hours(66));

        // Empty and backwards pauses change nothing.
        for target in [SlaTarget::Hours(24), SlaTarget::WorkingDays(5)] {
            let (a, b) = (at("2026-01-09 16:00"), at("2026-01-12 10:00"));
            assert_eq!(cal().extend_for_pause(due, target, a, a), due);
            assert_eq!(cal().extend_for_pause(due, target, b, a), due);
        }
    }

    #[test]
    fn admin_calendars_and_duplicates() {
        let holidays = [
            Holiday { date: date("2026-01-05"), name: "İdari izin".into(), kind: HolidayKind::Half },
            Holiday { date: date("2026-01-05"), name: "İdari izin".into(), kind: HolidayKind::Full },
            Holiday { date: date("2026-01-06"), name: "Arife".into(), kind: HolidayKind::Half },
        ];
        let cal = WorkCalendar::new(&holidays);
        assert!(!cal.is_working_day(date("2026-01-05")));
        assert_eq!(cal.working_hours(date("2026-01-06")), Some((WORK_START, HALF_DAY_END)));
        assert_eq!(cal.due(at("2026-01-02 10:00"), SlaTarget::WorkingDays(1)), at("2026-01-06 13:00"));
        // With no holidays at all, 1 Jan is a working day.
        let empty = WorkCalendar::new(&[]);
        assert!(empty.is_working_day(date("2026-01-01")));
        assert_eq!(empty.due(at("2025-12-31 10:00"), SlaTarget::WorkingDays(1)), at("2026-01-01 17:00"));
    }

    #[test]
    fn shipped_calendar_matches_the_data_file() {
        let shipped = super::super::reference::shipped_holidays();
        assert!(!shipped.holidays.is_empty());
        for h in &shipped.holidays {
            assert!(cal().holiday(h.date).is_some(), "{}", h.date);
        }
        assert!(std::ptr::eq(WorkCalendar::shipped(), WorkCalendar::shipped()));
    }
}
