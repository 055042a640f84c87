//! The request status machine and which role may make which transition.

use serde::{Deserialize, Serialize};

/// Who a user is in the centre. Unit representatives are further scoped to
/// their units; that scope is checked next to the role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    UnitRep,
    Lead,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Agent, Role::UnitRep, Role::Lead, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::UnitRep => "unit_rep",
            Role::Lead => "lead",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Başvuru durumu. The happy path is
/// kaydedildi → yönlendirildi → işlemde → (beklemede) → sonuçlandı →
/// vatandaşa bildirildi → kapandı, with the side exits yetki dışı, mükerrer
/// and iptal. Any closed request can be reopened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Kaydedildi: recorded, not yet forwarded to a unit.
    Registered,
    /// Yönlendirildi: in the unit's queue.
    Forwarded,
    /// İşlemde: the unit accepted it.
    InProgress,
    /// Beklemede: waiting for the citizen; the SLA clock is paused.
    Waiting,
    /// Sonuçlandı: the unit resolved it and wrote the answer.
    Resolved,
    /// Vatandaşa bildirildi: the answer reached the citizen.
    Informed,
    /// Kapandı.
    Closed,
    /// Yetki dışı / başka kuruma: sent to an outside body.
    OutOfRemit,
    /// Mükerrer: a duplicate of another request.
    Duplicate,
    /// İptal.
    Cancelled,
    /// Yeniden açıldı.
    Reopened,
}

impl Status {
    pub const ALL: [Status; 11] = [
        Status::Registered,
        Status::Forwarded,
        Status::InProgress,
        Status::Waiting,
        Status::Resolved,
        Status::Informed,
        Status::Closed,
        Status::OutOfRemit,
        Status::Duplicate,
        Status::Cancelled,
        Status::Reopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Registered => "registered",
            Status::Forwarded => "forwarded",
            Status::InProgress => "in_progress",
            Status::Waiting => "waiting",
            Status::Resolved => "resolved",
            Status::Informed => "informed",
            Status::Closed => "closed",
            Status::OutOfRemit => "out_of_remit",
            Status::Duplicate => "duplicate",
            Status::Cancelled => "cancelled",
            Status::Reopened => "reopened",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Turkish label as users know it.
    pub fn label_tr(self) -> &'static str {
        match self {
            Status::Registered => "Kaydedildi",
            Status::Forwarded => "Yönlendirildi",
            Status::InProgress => "İşlemde",
            Status::Waiting => "Beklemede",
            Status::Resolved => "Sonuçlandı",
            Status::Informed => "Vatandaşa bildirildi",
            Status::Closed => "Kapandı",
            Status::OutOfRemit => "Yetki dışı",
            Status::Duplicate => "Mükerrer",
            Status::Cancelled => "İptal",
            Status::Reopened => "Yeniden açıldı",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Status::Registered => "Registered",
            Status::Forwarded => "Forwarded",
            Status::InProgress => "In progress",
            Status::Waiting => "Waiting for citizen",
            Status::Resolved => "Resolved",
            Status::Informed => "Citizen informed",
            Status::Closed => "Closed",
            Status::OutOfRemit => "Out of remit",
            Status::Duplicate => "Duplicate",
            Status::Cancelled => "Cancelled",
            Status::Reopened => "Reopened",
        }
    }

    /// Open requests are the ones a unit still has to act on.
    pub fn is_open(self) -> bool {
        !self.is_closed()
    }

    /// Closed in the broad sense: the unit has nothing left to do. These are
    /// the states a request can be reopened from.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            Status::Resolved
                | Status::Informed
                | Status::Closed
                | Status::OutOfRemit
                | Status::Duplicate
                | Status::Cancelled
        )
    }

    /// Whether the SLA clock runs in this state.
    pub fn sla_clock_runs(self) -> bool {
        self.is_open() && self != Status::Waiting
    }
}

/// The status-changing actions. Notes, contacts and assignments do not change
/// the status and are checked separately (see the service layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    Forward,
    Accept,
    Wait,
    Resume,
    Resolve,
    Inform,
    Close,
    Reroute,
    OutOfRemit,
    MarkDuplicate,
    Cancel,
    Reopen,
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("'{action:?}' is not possible while the request is {from:?}")]
    NotFromHere { action: Transition, from: Status },
    #[error("role '{}' may not {action:?}", role.as_str())]
    RoleForbidden { action: Transition, role: Role },
}

impl Transition {
    /// The state a transition leads to from `from`, or `None` if it does not
    /// apply there.
    pub fn target(self, from: Status) -> Option<Status> {
        use Status as S;
        let open_in_unit = matches!(from, S::Forwarded | S::InProgress | S::Waiting | S::Reopened);
        match self {
            Transition::Forward => matches!(from, S::Registered | S::Reopened).then_some(S::Forwarded),
            Transition::Accept => matches!(from, S::Forwarded | S::Reopened).then_some(S::InProgress),
            Transition::Wait => matches!(from, S::Forwarded | S::InProgress | S::Reopened).then_some(S::Waiting),
            Transition::Resume => (from == S::Waiting).then_some(S::InProgress),
            Transition::Resolve => (open_in_unit || from == S::Registered).then_some(S::Resolved),
            Transition::Inform => (from == S::Resolved).then_some(S::Informed),
            Transition::Close => matches!(from, S::Resolved | S::Informed).then_some(S::Closed),
            Transition::Reroute => (open_in_unit || from == S::Registered).then_some(S::Forwarded),
            Transition::OutOfRemit => (open_in_unit || from == S::Registered).then_some(S::OutOfRemit),
            Transition::MarkDuplicate => from.is_open().then_some(S::Duplicate),
            Transition::Cancel => from.is_open().then_some(S::Cancelled),
            Transition::Reopen => from.is_closed().then_some(S::Reopened),
        }
    }

    /// The roles allowed to make this transition. Unit representatives are
    /// further limited to their own units by the caller.
    pub fn allowed_roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            // Agents file and forward on the call; a bilgi request can be
            // answered (resolved) on the call.
            Transition::Forward => &[Agent, UnitRep, Lead, Admin],
            Transition::Resolve => &[Agent, UnitRep, Lead, Admin],
            Transition::Inform => &[Agent, UnitRep, Lead, Admin],
            Transition::Accept | Transition::Wait | Transition::Resume => &[UnitRep, Lead, Admin],
            Transition::Reroute | Transition::OutOfRemit | Transition::MarkDuplicate => &[UnitRep, Lead, Admin],
            Transition::Close => &[UnitRep, Lead, Admin],
            Transition::Cancel => &[Agent, Lead, Admin],
            // A citizen calling back about a closed request is the agent's to
            // reopen; leads and the unit may also reopen.
            Transition::Reopen => &[Agent, UnitRep, Lead, Admin],
        }
    }

    /// Checks role and state; returns the new status.
    pub fn apply(self, from: Status, role: Role) -> Result<Status, TransitionError> {
        if !self.allowed_roles().contains(&role) {
            return Err(TransitionError::RoleForbidden { action: self, role });
        }
        self.target(from).ok_or(TransitionError::NotFromHere { action: self, from })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn happy_path_walks_to_closed() {
        let mut s = Status::Registered;
        for (t, role) in [
            (Transition::Forward, Role::Agent),
            (Transition::Accept, Role::UnitRep),
            (Transition::Wait, Role::UnitRep),
            (Transition::Resume, Role::UnitRep),
            (Transition::Resolve, Role::UnitRep),
            (Transition::Inform, Role::Agent),
            (Transition::Close, Role::Lead),
        ] {
            s = t.apply(s, role).unwrap();
        }
        assert_eq!(s, Status::Closed);
    }

    #[test]
    fn every_closed_state_can_be_reopened_and_no_open_one() {
        for s in Status::ALL {
            assert_eq!(Transition::Reopen.target(s).is_some(), s.is_closed(), "{s:?}");
        }
    }

    #[test]
    fn agents_cannot_accept_or_reroute() {
        assert_eq!(
            Transition::Accept.apply(Status::Forwarded, Role::Agent),
            Err(TransitionError::RoleForbidden { action: Transition::Accept, role: Role::Agent })
        );
        assert!(Transition::Reroute.apply(Status::Forwarded, Role::Agent).is_err());
    }

    #[test]
    fn cannot_resolve_twice() {
        assert_eq!(
            Transition::Resolve.apply(Status::Resolved, Role::UnitRep),
            Err(TransitionError::NotFromHere { action: Transition::Resolve, from: Status::Resolved })
        );
    }

    #[test]
    fn waiting_pauses_the_sla_clock() {
        assert!(!Status::Waiting.sla_clock_runs());
        assert!(Status::InProgress.sla_clock_runs());
        assert!(!Status::Resolved.sla_clock_runs());
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
