//! Wire types of the shift lead's wallboard, `GET /api/v1/stats/*`: one
//! pane per endpoint, all of them at once from `/stats/wallboard`. Every
//! pane says when it was computed (`generated_at`, the server's clock);
//! counts are of requests unless named otherwise.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::model::{Channel, Priority};
use crate::domain::status::{Role, Status};

/// The panes, as named in `stats` events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatsPane {
    Units,
    Aging,
    Sla,
    Intake,
    Agents,
    Hotspots,
    Escalations,
}

impl StatsPane {
    pub const ALL: [StatsPane; 7] = [
        StatsPane::Units,
        StatsPane::Aging,
        StatsPane::Sla,
        StatsPane::Intake,
        StatsPane::Agents,
        StatsPane::Hotspots,
        StatsPane::Escalations,
    ];

    /// The panes a unit representative may read (scoped to their units).
    pub fn for_units(self) -> bool {
        !matches!(self, StatsPane::Intake | StatsPane::Agents)
    }
}

/// Open requests of a unit (or of all units) by where they stand.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UnitCounts {
    /// Not yet taken up by the unit: registered, forwarded or reopened.
    pub new: u64,
    pub in_progress: u64,
    /// Waiting for the citizen: the SLA clock is paused, so these are never
    /// overdue or due soon.
    pub waiting: u64,
    /// Every open request: `new + in_progress + waiting`.
    pub open: u64,
    /// SLA breached now: the clock runs and the due time has been reached.
    pub overdue: u64,
    /// The clock runs and the due time falls within the next `soon_minutes`.
    pub due_soon: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UnitRow {
    pub unit: String,
    #[serde(flatten)]
    pub counts: UnitCounts,
}

/// `GET /stats/units`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct UnitsPane {
    pub generated_at: DateTime<Utc>,
    /// The horizon of `due_soon`, in minutes (120).
    pub soon_minutes: u32,
    /// Units with open requests, most overdue first (then most open, then
    /// by code). A unit representative always gets a row for each of
    /// their units.
    pub units: Vec<UnitRow>,
    /// The sum of the rows.
    pub total: UnitCounts,
}

/// `GET /stats/aging`: open requests by time since filing (calendar time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgingPane {
    pub generated_at: DateTime<Utc>,
    /// Bucket names, youngest first: `lt_4h`, `lt_1d`, `lt_3d`, `lt_7d`,
    /// `lt_15d`, `older`: filed in the last 4 hours (4 h ago to the
    /// millisecond included), 4 to 24 hours ago, 1 to 3 days, 3 to 7, 7 to
    /// 15, and longer ago.
    pub buckets: Vec<String>,
    /// Counts per bucket, in the order of `buckets`, over the units asked for.
    pub total: Vec<u64>,
    /// The same per unit (units with open requests, by code).
    pub units: Vec<AgingRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgingRow {
    pub unit: String,
    pub counts: Vec<u64>,
}

/// A request as the wallboard lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RequestSummary {
    pub id: Uuid,
    pub tracking_no: String,
    pub unit: String,
    pub category: String,
    #[serde(default)]
    pub district: Option<String>,
    #[serde(default)]
    pub neighbourhood: Option<String>,
    pub status: Status,
    pub priority: Priority,
    pub sla_due_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// How many times the citizen asked for an update.
    pub contacts: u32,
    /// The last escalation: re-routed back to a unit it had been with.
    #[serde(default)]
    pub escalated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub reopened_at: Option<DateTime<Utc>>,
}

/// The first `limit` of a longer list, and how long the list is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RequestList {
    pub total: u64,
    pub items: Vec<RequestSummary>,
}

/// `GET /stats/sla`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SlaPane {
    pub generated_at: DateTime<Utc>,
    pub soon_minutes: u32,
    /// Open, clock running, due time reached: longest overdue first.
    pub breached: RequestList,
    /// Open, clock running, due within `soon_minutes`: soonest first.
    pub due_soon: RequestList,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IntakeHour {
    /// Local hour (Europe/Istanbul), 0–23.
    pub hour: u32,
    /// Filed today in this hour; `null` for hours still to come.
    #[serde(default)]
    pub today: Option<u64>,
    /// The mean of the same hour on the same weekday of the last `weeks` weeks.
    pub average: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IntakeChannel {
    pub channel: Channel,
    pub today: u64,
    /// The mean over the whole day of the same weekday of the last `weeks` weeks.
    pub average: f64,
}

/// `GET /stats/intake`: requests filed today (by `created_at`, the
/// Europe/Istanbul day) beside the same weekday of the past weeks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IntakePane {
    pub generated_at: DateTime<Utc>,
    /// Today, in Europe/Istanbul.
    pub date: NaiveDate,
    /// The local hour now.
    pub current_hour: u32,
    /// How many past weeks the averages cover (4).
    pub weeks: u32,
    /// Filed today so far.
    pub today: u64,
    /// The averages summed over hours 0 to `current_hour`, to set beside `today`.
    pub average_so_far: f64,
    /// The averages summed over the whole day.
    pub average_day: f64,
    /// 24 entries, hour 0 first.
    pub hours: Vec<IntakeHour>,
    /// Channels seen today or in the weeks compared, busiest today first.
    pub channels: Vec<IntakeChannel>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    Ringing,
    /// Answered and not yet hung up.
    Talking,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgentCall {
    pub state: CallState,
    /// When the call started ringing, or was answered for `talking`.
    pub since: DateTime<Utc>,
    pub seconds: u64,
}

/// Where an agent's `handled_today` and `aht_seconds` come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandledSource {
    /// Calls the phone system reported at the agent's extension.
    Cti,
    /// Requests the agent filed with a call duration (no phone-system data).
    Requests,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgentRow {
    pub username: String,
    pub full_name: String,
    pub role: Role,
    #[serde(default)]
    pub extension: Option<String>,
    /// Signed in: a device of the agent has its event stream open, or made
    /// an authenticated call within `presence_window_seconds`.
    pub logged_in: bool,
    /// Devices counted as signed in.
    pub devices: u32,
    #[serde(default)]
    pub last_seen_at: Option<DateTime<Utc>>,
    /// The call at the agent's extension now, if any.
    #[serde(default)]
    pub call: Option<AgentCall>,
    /// Answered calls at the extension that ended today (phone system).
    pub calls_today: u64,
    /// Calls that rang at the extension today and ended unanswered.
    pub missed_today: u64,
    /// Mean answer-to-hang-up time of `calls_today`.
    #[serde(default)]
    pub talk_avg_seconds: Option<f64>,
    /// Requests the agent filed today.
    pub filed_today: u64,
    /// Mean `call_seconds` of today's filings that have one.
    #[serde(default)]
    pub filed_call_avg_seconds: Option<f64>,
    /// Calls handled today: `calls_today` where the phone system reports
    /// calls for this agent, otherwise today's filings with a call duration.
    pub handled_today: u64,
    /// Average handling time of `handled_today`, from the same source.
    #[serde(default)]
    pub aht_seconds: Option<f64>,
    #[serde(default)]
    pub source: Option<HandledSource>,
}

/// `GET /stats/agents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgentsPane {
    pub generated_at: DateTime<Utc>,
    pub presence_window_seconds: u64,
    /// Agents (and anyone with an extension) who are signed in, on a call,
    /// or handled or filed anything today; by username.
    pub agents: Vec<AgentRow>,
    pub logged_in: u64,
    /// Agents talking now.
    pub on_call: u64,
    pub handled_today: u64,
    /// Mean handling time over everyone's `handled_today`.
    #[serde(default)]
    pub aht_seconds: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HotSpot {
    pub category: String,
    /// District code.
    pub district: String,
    pub neighbourhood: String,
    /// Filed in the last `window_hours`.
    pub count: u64,
    /// Of those, filed in the last hour.
    pub last_hour: u64,
}

/// `GET /stats/hotspots`: category × neighbourhood pairs filed most in the
/// last 24 hours (requests with a neighbourhood only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HotspotsPane {
    pub generated_at: DateTime<Utc>,
    pub window_hours: u32,
    /// Busiest first (ties: busier last hour first).
    pub items: Vec<HotSpot>,
}

/// `GET /stats/escalations`: open requests that need the lead.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EscalationsPane {
    pub generated_at: DateTime<Utc>,
    /// Re-routed back to a unit they had already been with; latest first.
    pub bounced: RequestList,
    /// Reopened after being closed; latest reopening first.
    pub reopened: RequestList,
    /// The citizen asked for an update `min_contacts` times or more; most first.
    pub repeat_contacts: RequestList,
    pub min_contacts: u32,
}

/// `GET /stats/wallboard`: every pane, computed at one instant from one
/// consistent snapshot of the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Wallboard {
    pub units: UnitsPane,
    pub aging: AgingPane,
    pub sla: SlaPane,
    pub intake: IntakePane,
    pub agents: AgentsPane,
    pub hotspots: HotspotsPane,
    pub escalations: EscalationsPane,
}
