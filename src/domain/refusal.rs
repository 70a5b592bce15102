//! Why a rule said no: one code per reason, with the values the reason names. Rules
//! refuse with a [`Refusal`], never with a sentence; each face words it — the API and the
//! command line in English from [`Refusal`]'s `Display` (declared beside the code below),
//! the console in Chinese from its catalogue's `[refusal]` section, keyed by the code. A
//! test of the console fails when a code has no Chinese entry, so a new rule cannot reach
//! a page in English.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A value a refusal names. The English says a coded value by its code, the Chinese by
/// its label; numbers and text read the same in both.
pub trait Said {
    fn english(&self) -> String;
    fn chinese(&self) -> String;
}

macro_rules! said_as_is {
    ($($kind:ty),*) => {$(
        impl Said for $kind {
            fn english(&self) -> String {
                self.to_string()
            }

            fn chinese(&self) -> String {
                self.to_string()
            }
        }
    )*};
}

said_as_is!(u64, i64, String, chrono::NaiveDate);

/// A value of a code list (a status, an action, a rung, a region kind): its code for the
/// English, its label for the Chinese. Boxed, so that a refusal stays small to pass back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Word(Box<Named>);

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Named {
    code: String,
    label: String,
}

impl Word {
    pub fn of(code: impl Into<String>, label: impl Into<String>) -> Self {
        Self(Box::new(Named { code: code.into(), label: label.into() }))
    }

    pub fn code(&self) -> &str {
        &self.0.code
    }

    pub fn label(&self) -> &str {
        &self.0.label
    }
}

impl Said for Word {
    fn english(&self) -> String {
        self.code().to_owned()
    }

    fn chinese(&self) -> String {
        self.label().to_owned()
    }
}

/// Several values of a code list, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Words(pub Vec<Word>);

impl Said for Words {
    fn english(&self) -> String {
        if self.0.is_empty() {
            return "nothing".into();
        }
        self.0.iter().map(Word::code).collect::<Vec<_>>().join(", ")
    }

    fn chinese(&self) -> String {
        if self.0.is_empty() {
            return "无".into();
        }
        self.0.iter().map(Word::label).collect::<Vec<_>>().join("、")
    }
}

/// Declares the refusals: each variant, its code, the values it names and its English.
/// From the one list come the enum, `code()`, `Display`, `params()` (the values for a
/// face's own wording) and `every()` (one of each, so a test can hold every code against
/// a catalogue).
macro_rules! refusals {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident $({ $($param:ident: $kind:ty),* $(,)? })? = $code:literal => $english:literal;
    )*) => {
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "code", rename_all = "snake_case")]
        pub enum Refusal {
            $(
                $(#[doc = $doc])*
                #[serde(rename = $code)]
                $variant $({ $($param: $kind),* })?,
            )*
        }

        impl Refusal {
            /// The stable code the API serves and the catalogues are keyed by.
            pub fn code(&self) -> &'static str {
                match self {
                    $(Self::$variant { .. } => $code,)*
                }
            }

            /// The values it names, for a face's wording: `{name}` in a catalogue's text
            /// is replaced by the value, as said in Chinese.
            pub fn params(&self) -> Vec<(&'static str, String)> {
                match self {
                    $(
                        #[allow(unused_variables)]
                        Self::$variant $({ $($param),* })? => vec![$($((stringify!($param), Said::chinese($param))),*)?],
                    )*
                }
            }

            /// One refusal of every kind (its values defaulted).
            pub fn every() -> Vec<Self> {
                vec![$(Self::$variant $({ $($param: <$kind>::default()),* })?),*]
            }
        }

        impl fmt::Display for Refusal {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(
                        Self::$variant $({ $($param),* })? => {
                            $($(let $param = Said::english($param);)*)?
                            write!(f, $english)
                        }
                    )*
                }
            }
        }
    };
}

refusals! {
    // Any field.
    Required = "required" => "is required";
    Blank = "blank" => "must not be blank";
    Unstorable = "unstorable" => "must not contain the NUL character (\\u0000)";
    /// Text of 1 to `max` characters: required, and not too long.
    LengthRequired { max: u64 } = "length_required" => "must be between 1 and {max} characters";
    LengthBetween { min: u64, max: u64 } = "length_between" => "must be between {min} and {max} characters";
    LengthAtLeast { min: u64 } = "length_at_least" => "must have at least {min} characters";
    LengthAtMost { max: u64 } = "length_at_most" => "must be at most {max} characters";
    Between { min: i64, max: i64 } = "between" => "must be between {min} and {max}";
    AtLeast { min: i64 } = "at_least" => "must be at least {min}";
    AtMost { max: i64 } = "at_most" => "must be at most {max}";
    /// A list of `min` to `max` entries.
    CountBetween { min: u64, max: u64 } = "count_between" => "name {min} to {max}";
    NotANumber { text: String } = "not_a_number" => "`{text}` is not a number";
    NotADate { text: String } = "not_a_date" => "`{text}` is not a date (YYYY-MM-DD)";
    NotAMonth = "not_a_month" => "must be a month such as 2026-03";
    InTheFuture = "in_the_future" => "must not be in the future";
    Before1900 = "before_1900" => "must not be before 1900";
    YearBetween { min: i64, max: i64 } = "year_between" => "must be a year between {min} and {max}";
    /// The start of a window after its end (`other` names the end's field).
    AfterEnd { other: String } = "after_end" => "must not be after {other}";
    /// A window longer than it may be.
    SpanAtMost { years: u64 } = "span_at_most" => "the window may span at most {years} years";
    NotInList { allowed: String } = "not_in_list" => "must be one of: {allowed}";
    /// A value the API could not read as its type (JSON and query parameters).
    Malformed { detail: String } = "malformed" => "{detail}";
    Invalid = "invalid" => "is invalid";

    // Identities.
    UsccLength { got: u64 } = "uscc_length" => "must be 18 characters, got {got}";
    UsccCharacter { position: u64, found: String } =
        "uscc_character" => "character {position} ('{found}') is not allowed: use 0-9 and A-Z except I, O, S, V, Z";
    UsccDivision = "uscc_division" => "characters 3 to 8 must be the digits of an administrative division code";
    UsccCheck = "uscc_check" => "check character does not match: one of the characters is mistyped";
    PhoneCharacters = "phone_characters" => "may hold only digits, spaces and + - ( )";
    TagLength = "tag_length" => "each tag must have 1 to 30 characters";
    UsccTaken = "uscc_taken" => "an enterprise with this USCC already exists";
    UsernameTaken = "username_taken" => "this username is taken";
    UsernameCharacters = "username_characters" => "may hold only letters, digits, . _ and -";
    CodeTaken = "code_taken" => "a region with this code already exists";
    CodeCharacters = "code_characters" => "may hold only letters, digits, - and _";
    PasswordVariety = "password_variety" => "must use at least 4 different characters";
    PasswordHasUsername = "password_has_username" => "must not contain the username";
    PasswordCommon = "password_common" => "is one of the most common leaked passwords";
    LastAdmin = "last_admin" => "this is the last active admin";
    ScopeRequired = "scope_required" => "name at least one scope";

    // Places.
    NotAStreet = "not_a_street" => "is not a street";
    NotAPark = "not_a_park" => "is not a park";
    ParkElsewhere = "park_elsewhere" => "the park lies in another street";
    StreetOrUnassigned = "street_or_unassigned" => "must be a street's id or `unassigned`";
    NoSuchRegion = "no_such_region" => "no such region";
    NoPlaceNamed { kind: Word, name: String } = "no_place_named" => "no {kind} is called `{name}`";
    DistrictHasNoParent = "district_has_no_parent" => "a district has no parent";
    ParentRequired { kind: Word } = "parent_required" => "is required: a {kind}";
    ParentNotA { kind: Word } = "parent_not_a" => "is not a {kind}";
    DistrictOrStreet = "district_or_street" => "must be a district or a street";
    PlaceOutsideScope = "place_outside_scope" => "you may place enterprises only in your own streets";

    // What a caller may not do at all (403).
    RoleMayNot { role: Word } = "role_may_not" => "the {role} role may not do this";
    KeyMayNot = "key_may_not" => "this API key may not do this";
    UsersOnly = "users_only" => "only a signed-in user may do this";
    CorrectionWindow { days: i64 } =
        "correction_window" => "a visit can be corrected by its counselor within {days} days of logging it, later by a manager";

    // Records.
    Archived = "archived" => "the enterprise is archived";
    NotAVisitOfEnterprise = "not_a_visit_of_enterprise" => "is not a visit of this enterprise";
    BeforeVisit = "before_visit" => "must not be before the visit";
    CoordinatesTogether = "coordinates_together" => "give latitude and longitude together";
    AssigneeNotWorker = "assignee_not_worker" => "is not an active counselor, manager or admin";
    AssigneeNotServing = "assignee_not_serving" => "does not serve this request's street, so could not see it";
    /// A move that needs an input it was sent without (`action` names the move).
    NeededToMove { action: Word } = "needed_to_move" => "is required to {action}";
    ReasonToMove { action: Word } = "reason_to_move" => "a reason is required to {action}";
    OnlyWithApprove = "only_with_approve" => "is only taken with approve";
    StreetOrDepartment = "street_or_department" => "name one place to hand it to: a street (street_id) or a department";
    AlreadyHeld = "already_held" => "it is already there: nothing to hand over";
    ExtensionPending = "extension_pending" => "an extension asked for is still waiting for a manager's answer";
    NoExtensionAsked = "no_extension_asked" => "no extension has been asked for";
    ExtensionsUsedUp { max: u64 } = "extensions_used_up" => "a request may be extended at most {max} times";
    NoEnterpriseMatched = "no_enterprise_matched" => "no enterprise in your streets has this USCC or name";
    SeveralEnterprisesMatched = "several_enterprises_matched" => "several enterprises have this name: give the USCC";
    NotTransferred = "not_transferred" => "the request was not handed over, so there is nothing to hand back";
    /// A move the record's status does not allow now.
    /// A move the record's status does not allow now (`subject`: what moves, "a request").
    IllegalMove { action: Word, subject: Word, status: Word, allowed: Words } =
        "illegal_move" => "cannot {action} {subject} that is {status}; allowed now: {allowed}";
    ObligationDone = "obligation_done" => "the obligation is already done";
    ReviewNeedsCertificate { tier: Word } = "review_needs_certificate" => "a review (复核) keeps a held `{tier}` certificate, and the enterprise holds none";
    ApplicationInFlight = "application_in_flight" =>
        "the enterprise already has an application for this tier and batch year in progress";
    AlreadyExists = "already_exists" => "this record already exists";
    StillInUse = "still_in_use" => "is still in use";
    NamesNothing = "names_nothing" => "names nothing that exists";
    ConcurrentChange = "concurrent_change" => "a concurrent change got there first; try again";

    // The ladder.
    UnknownTier { tier: String, known: String } = "unknown_tier" => "unknown tier `{tier}`; the ladder is {known}";
    UnknownCluster { cluster: String } = "unknown_cluster" => "unknown cluster `{cluster}`; see GET /api/v1/clusters";
    RungAboveBase = "rung_above_base" => "one applies for a rung above the base";
    BaseHasNoCertificate = "base_has_no_certificate" => "the base rung has no certificate";
    BaseHasNoTarget = "base_has_no_target" => "the base of the ladder has no target";
    NoRuleSet { tier: Word, on: chrono::NaiveDate } = "no_rule_set" => "no rule set for `{tier}` is in force on {on}";
    NotUpward { current: Word } = "not_upward" => "the enterprise already stands at `{current}`; a promotion must go above it";
    NotDownward { current: Word } = "not_downward" => "the enterprise stands at `{current}`; a demotion must go below it";
    NotHeld { to: Word, current: Word, would_stand: Word } =
        "not_held" => "the enterprise holds no `{to}` certificate: below `{current}` it would stand at `{would_stand}`";
    BeforeEffective = "before_effective" => "must not be before effective_on";
    Lapsed { until: chrono::NaiveDate } = "lapsed" => "{until} has passed: the certificate has lapsed";
    ListedTwice = "listed_twice" => "this region and tier are listed twice";
    RepeatsRow { of: String, row: u64 } = "repeats_row" => "repeats the certificate of {of} {row}";
    RepeatsWorkOrder { row: u64 } = "repeats_work_order" => "repeats the work order number of row {row}";

    // Files and calls.
    NotAList { name: String } = "not_a_list" => "`{name}` is not a .csv or .xlsx file";
    FileRequired = "file_required" => "is required: send the file as the multipart part `file`";
    MissingColumns { columns: String } = "missing_columns" => "the file has no column for: {columns}";
    UnreadableCsv { detail: String } = "unreadable_csv" => "the CSV file cannot be read: {detail}";
    UnreadableXlsx { detail: String } = "unreadable_xlsx" => "the XLSX file cannot be read: {detail}";
    NoSheet = "no_sheet" => "the workbook has no sheet";
    NoHeader = "no_header" => "the file has no header row";
    TooManyCells { cells: u64 } = "too_many_cells" => "the file has more than {cells} cells; split it into smaller files";
    TooMuchText { bytes: u64 } = "too_much_text" => "the file has more than {bytes} bytes of text; split it into smaller files";
    TooWide { columns: u64 } = "too_wide" => "the file has a cell beyond column {columns}";
    Unpacks { bytes: u64 } = "unpacks" => "the XLSX file unpacks to more than {bytes} bytes";
    TooManyRows = "too_many_rows" => "has too many rows";
    NotACursor = "not_a_cursor" => "is not a cursor this list gave out";
    KeyReused = "key_reused" => "was used for a call with another body";
    FormTokenMissing = "form_token_missing" => "a form that creates something carries its one-time token";
    FormTokenReused = "form_token_reused" => "this form's token was sent with another form";
}

impl From<crate::domain::ladder::UnknownTier> for Refusal {
    fn from(error: crate::domain::ladder::UnknownTier) -> Self {
        Self::UnknownTier { tier: error.code, known: error.known }
    }
}

impl From<crate::domain::cluster::ClusterError> for Refusal {
    fn from(error: crate::domain::cluster::ClusterError) -> Self {
        use crate::domain::cluster::ClusterError as E;
        match error {
            E::Unknown(cluster) => Self::UnknownCluster { cluster },
            E::Duplicate(_) => Self::Invalid,
        }
    }
}

impl From<crate::domain::certification::TermError> for Refusal {
    fn from(error: crate::domain::certification::TermError) -> Self {
        use crate::domain::certification::TermError as E;
        match error {
            E::BeforeEffective => Self::BeforeEffective,
            E::Lapsed(until) => Self::Lapsed { until },
        }
    }
}

impl From<crate::domain::uscc::UsccError> for Refusal {
    fn from(error: crate::domain::uscc::UsccError) -> Self {
        use crate::domain::uscc::UsccError as E;
        match error {
            E::Length(got) => Self::UsccLength { got: got as u64 },
            E::Character { position, found } => Self::UsccCharacter { position: position as u64, found: found.into() },
            E::Division => Self::UsccDivision,
            E::CheckCharacter => Self::UsccCheck,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_each_is_said_in_english() {
        let every = Refusal::every();
        let mut codes: Vec<_> = every.iter().map(Refusal::code).collect();
        codes.sort_unstable();
        let count = codes.len();
        codes.dedup();
        assert_eq!(codes.len(), count, "a code is declared twice");
        assert!(every.iter().filter(|r| r.code() != "malformed").all(|r| !r.to_string().is_empty()));
    }

    #[test]
    fn the_english_names_codes_and_the_params_name_labels() {
        let illegal = Refusal::IllegalMove {
            action: Word::of("start", "开始办理"),
            subject: Word::of("a request", "诉求"),
            status: Word::of("closed", "已关闭"),
            allowed: Words(vec![Word::of("reopen", "重新打开")]),
        };
        assert_eq!(illegal.to_string(), "cannot start a request that is closed; allowed now: reopen");
        assert_eq!(
            illegal.params(),
            [
                ("action", "开始办理".into()),
                ("subject", "诉求".into()),
                ("status", "已关闭".into()),
                ("allowed", "重新打开".into())
            ]
        );
        assert_eq!(Refusal::LengthRequired { max: 100 }.to_string(), "must be between 1 and 100 characters");
    }

    #[test]
    fn a_refusal_travels_as_its_code_and_values() {
        let refusal = Refusal::YearBetween { min: 2000, max: 2027 };
        let json = serde_json::to_value(&refusal).expect("serializes");
        assert_eq!(json, serde_json::json!({"code": "year_between", "min": 2000, "max": 2027}));
        assert_eq!(serde_json::from_value::<Refusal>(json).expect("reads back"), refusal);
    }
}
