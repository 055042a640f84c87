//! Wire types shared by the central API and the console: request and response
//! bodies, sync mutations and server events. Everything here is plain serde
//! data; validation lives in the server, rules in `domain`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::model::{Channel, Priority, RequestType};
use crate::domain::status::{Role, Status};

pub mod stats;

/// Longest description or note the API accepts, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// Longest short field (names, streets, reasons), in characters.
pub const MAX_SHORT_CHARS: usize = 200;

/// The one error shape of the API: `{"error":{"code","message","field"?}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: `invalid_field`, `not_found`, `forbidden`, `conflict`, …
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

// ---------------------------------------------------------------- auth

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// A label for the device ("Masa 12"); never the host name.
    pub device_name: String,
    /// The console's install id (uuid v7). A new one is made if absent.
    #[serde(default)]
    pub device_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for this device. Shown once; the server keeps a hash.
    pub token: String,
    pub device_id: Uuid,
    pub user: UserInfo,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UserInfo {
    pub id: Uuid,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    /// Unit codes a unit representative acts for.
    pub units: Vec<String>,
    #[serde(default)]
    pub extension: Option<String>,
}

// ---------------------------------------------------------------- citizens

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// District code or name (`SAHINBEY` or `Şahinbey`).
    pub district: String,
    /// Neighbourhood name or alias.
    pub neighbourhood: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCitizen {
    /// Client-generated uuid v7; creating the same id again is idempotent.
    #[serde(default)]
    pub id: Option<Uuid>,
    pub full_name: String,
    /// In any written form; stored as E.164.
    #[serde(default)]
    pub phones: Vec<String>,
    #[serde(default)]
    pub tckn: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub address: Option<Address>,
    /// KVKK: never show this citizen's contact details to the party complained about.
    #[serde(default)]
    pub hide_identity: bool,
}

/// A field-level edit of a citizen. Absent fields are left alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CitizenPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phones: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hide_identity: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Citizen {
    pub id: Uuid,
    pub full_name: String,
    /// E.164.
    pub phones: Vec<String>,
    #[serde(default)]
    pub tckn: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub address: Option<Address>,
    pub hide_identity: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The change sequence number of the last change.
    pub version: i64,
    /// The version at which each field last changed, for field-level merges.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub field_versions: std::collections::BTreeMap<String, i64>,
}

/// How a search hit matched, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    Tckn,
    Phone,
    PhoneSuffix,
    Name,
    FuzzyName,
    Address,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CitizenHit {
    pub citizen: Citizen,
    pub matched: MatchKind,
    pub score: f32,
    pub open_requests: u32,
}

// ---------------------------------------------------------------- requests

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    /// Client-generated uuid v7; creating the same id again is idempotent.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// A tracking number the console issued offline from its block.
    #[serde(default)]
    pub tracking_no: Option<String>,
    #[serde(rename = "type")]
    pub kind: RequestType,
    pub channel: Channel,
    pub category: String,
    #[serde(default)]
    pub citizen_id: Option<Uuid>,
    #[serde(default)]
    pub location: Option<Location>,
    pub description: String,
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Forward straight to the routed unit (the usual case on a call).
    #[serde(default = "yes")]
    pub forward: bool,
    /// Override the routed unit; needs `unit_reason`.
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub unit_reason: Option<String>,
    /// Call duration, from the console's call timer.
    #[serde(default)]
    pub call_seconds: Option<u32>,
    /// For a bilgi request answered on the call: the answer given.
    #[serde(default)]
    pub answer: Option<String>,
    /// When the console recorded it (offline filings arrive later).
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
}

fn yes() -> bool {
    true
}

impl NewRequest {
    /// A request with everything optional left out: forwarded to the routed
    /// unit, with no citizen, location or override.
    pub fn new(kind: RequestType, channel: Channel, category: &str, description: &str) -> NewRequest {
        NewRequest {
            id: None,
            tracking_no: None,
            kind,
            channel,
            category: category.to_string(),
            citizen_id: None,
            location: None,
            description: description.to_string(),
            priority: None,
            forward: true,
            unit: None,
            unit_reason: None,
            call_seconds: None,
            answer: None,
            created_at: None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// District code or name.
    pub district: String,
    #[serde(default)]
    pub neighbourhood: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Request {
    pub id: Uuid,
    pub tracking_no: String,
    #[serde(rename = "type")]
    pub kind: RequestType,
    pub channel: Channel,
    pub category: String,
    pub unit: String,
    pub status: Status,
    pub priority: Priority,
    #[serde(default)]
    pub location: Option<Location>,
    pub description: String,
    #[serde(default)]
    pub citizen_id: Option<Uuid>,
    pub created_by: Uuid,
    #[serde(default)]
    pub assigned_to: Option<String>,
    #[serde(default)]
    pub duplicate_of: Option<Uuid>,
    #[serde(default)]
    pub co_reporters: Vec<Uuid>,
    pub sla_due_at: DateTime<Utc>,
    /// Set while waiting for the citizen: the SLA clock is paused since then.
    #[serde(default)]
    pub paused_at: Option<DateTime<Utc>>,
    /// How many times the citizen asked for an update.
    pub contacts: u32,
    /// Length of the call the request was filed on.
    #[serde(default)]
    pub call_seconds: Option<u32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    /// Oldest first. Empty in list views.
    #[serde(default)]
    pub timeline: Vec<TimelineEvent>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Created,
    Forwarded,
    Accepted,
    Assigned,
    Note,
    StatusChanged,
    Rerouted,
    Resolved,
    CitizenInformed,
    Reopened,
    Contact,
    CoReporter,
    Escalated,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TimelineEvent {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// Who did it (username).
    pub actor: String,
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Internal notes are not shown to citizens.
    #[serde(default)]
    pub internal: bool,
}

/// What a user does to a request. Status-changing ones go through the status
/// machine; the server checks role and unit scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    Forward {
        #[serde(default)]
        unit: Option<String>,
        #[serde(default)]
        reason: Option<String>,
    },
    Accept {
        #[serde(default)]
        assignee: Option<String>,
    },
    Assign {
        assignee: String,
    },
    Note {
        text: String,
        #[serde(default)]
        internal: bool,
    },
    Wait {
        reason: String,
    },
    Resume {},
    Reroute {
        unit: String,
        reason: String,
    },
    Resolve {
        reply: String,
    },
    Inform {
        #[serde(default)]
        text: Option<String>,
    },
    Close {},
    OutOfRemit {
        body: String,
        message: String,
    },
    MarkDuplicate {
        of: Uuid,
    },
    Cancel {
        reason: String,
    },
    Reopen {
        reason: String,
    },
    /// The citizen called again asking for an update.
    Contact {
        #[serde(default)]
        text: Option<String>,
    },
    /// Another citizen reports the same thing.
    AddCoReporter {
        citizen_id: Uuid,
    },
}

impl Action {
    /// The status-machine step this action takes, if it changes the status.
    pub fn transition(&self) -> Option<crate::domain::status::Transition> {
        use crate::domain::status::Transition;
        Some(match self {
            Action::Forward { .. } => Transition::Forward,
            Action::Accept { .. } => Transition::Accept,
            Action::Wait { .. } => Transition::Wait,
            Action::Resume {} => Transition::Resume,
            Action::Reroute { .. } => Transition::Reroute,
            Action::Resolve { .. } => Transition::Resolve,
            Action::Inform { .. } => Transition::Inform,
            Action::Close {} => Transition::Close,
            Action::OutOfRemit { .. } => Transition::OutOfRemit,
            Action::MarkDuplicate { .. } => Transition::MarkDuplicate,
            Action::Cancel { .. } => Transition::Cancel,
            Action::Reopen { .. } => Transition::Reopen,
            Action::Assign { .. } | Action::Note { .. } | Action::Contact { .. } | Action::AddCoReporter { .. } => {
                return None;
            }
        })
    }
}

/// (No `deny_unknown_fields` here: serde cannot combine it with `flatten`;
/// the action variants reject unknown fields themselves.)
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActionRequest {
    /// For idempotent retries; one is made if absent.
    #[serde(default)]
    pub mutation_id: Option<Uuid>,
    /// The version the user saw; a stale one gives 409.
    #[serde(default)]
    pub base_version: Option<i64>,
    #[serde(flatten)]
    pub action: Action,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RequestPage {
    pub items: Vec<Request>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

// ---------------------------------------------------------------- sync

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Mutation {
    pub mutation_id: Uuid,
    #[serde(flatten)]
    pub op: MutationOp,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum MutationOp {
    CreateCitizen {
        citizen: NewCitizen,
    },
    UpdateCitizen {
        id: Uuid,
        base_version: i64,
        patch: CitizenPatch,
    },
    CreateRequest {
        request: NewRequest,
    },
    RequestAction {
        request_id: Uuid,
        #[serde(default)]
        base_version: Option<i64>,
        action: Action,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub device_id: Uuid,
    pub mutations: Vec<Mutation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PushResponse {
    pub results: Vec<MutationResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MutationResult {
    pub mutation_id: Uuid,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    Applied {
        version: i64,
        #[schema(value_type = Object)]
        entity: Entity,
    },
    /// Already applied earlier; carries the original result.
    Duplicate {
        #[schema(value_type = Object)]
        original: Box<Outcome>,
    },
    Rejected {
        code: String,
        message: String,
        #[serde(default)]
        field: Option<String>,
    },
    Conflict {
        message: String,
        #[schema(value_type = Object)]
        current: Entity,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "entity", content = "data", rename_all = "snake_case")]
pub enum Entity {
    Citizen(Box<Citizen>),
    Request(Box<Request>),
}

impl Entity {
    pub fn id(&self) -> Uuid {
        match self {
            Entity::Citizen(c) => c.id,
            Entity::Request(r) => r.id,
        }
    }

    pub fn version(&self) -> i64 {
        match self {
            Entity::Citizen(c) => c.version,
            Entity::Request(r) => r.version,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Change {
    pub seq: i64,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub entity: Entity,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PullResponse {
    pub changes: Vec<Change>,
    /// The cursor to pass as `since` next time.
    pub next: i64,
    pub has_more: bool,
    pub epoch: String,
}

/// The first line of a snapshot (`GET /sync/snapshot`, NDJSON). Every
/// further line is one [`Entity`]. After applying them, pull from `seq`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SnapshotHeader {
    pub epoch: String,
    pub seq: i64,
    /// How many citizen and request lines follow, for a progress display.
    pub citizens: u64,
    pub requests: u64,
}

/// A block of tracking-number serials a console may issue offline.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SerialBlock {
    /// First serial, inclusive.
    pub start: u32,
    /// Last serial, inclusive.
    pub end: u32,
}

// ---------------------------------------------------------------- events

/// A Server-Sent Event body. Change events carry the change sequence as the
/// SSE id, so a reconnecting console resumes with `Last-Event-ID`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    Change {
        seq: i64,
        #[serde(flatten)]
        #[schema(value_type = Object)]
        entity: Entity,
    },
    /// The phone system reports a call at an extension.
    ScreenPop {
        extension: String,
        ani: String,
        event: CallEvent,
        #[serde(default)]
        citizen_id: Option<Uuid>,
        #[serde(default)]
        line: Option<Channel>,
    },
    /// Wallboard figures changed: refetch these panes. At most one every
    /// 500 ms per server; sent to leads and admins, and to unit
    /// representatives when it names one of their units. Not resumable (no
    /// SSE id): a reconnecting wallboard refetches everything.
    Stats {
        panes: Vec<stats::StatsPane>,
        /// Units whose requests changed, when known (empty otherwise).
        #[serde(default)]
        units: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallEvent {
    Ringing,
    Answered,
    Hangup,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CtiCall {
    /// The caller's number as the phone system gives it.
    pub ani: String,
    pub extension: String,
    pub event: CallEvent,
    /// The line the call came in on (`line153`, `line185`, `line188`,
    /// `line444`); the request form's channel defaults to it.
    #[serde(default)]
    pub line: Option<Channel>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
    pub db: String,
    pub seq: i64,
}

// ---------------------------------------------------------------- reference

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SuggestedCategory {
    pub code: String,
    pub unit: String,
    pub name_tr: String,
    pub name_en: String,
    pub score: f32,
    pub emergency: bool,
}
