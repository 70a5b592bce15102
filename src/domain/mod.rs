//! Pure types and rules of the domain: no actix, no diesel.

/// A value of a code list: its stable code, as stored and as the API spells it, and the
/// name people use for it.
pub trait Code: Copy + 'static {
    fn code(self) -> &'static str;
    fn label(self) -> &'static str;

    /// The value as a refusal names it.
    fn word(self) -> Word {
        Word::of(self.code(), self.label())
    }
}

/// Declares a code list once: its variants, each with its code and its Chinese label.
/// From the one list come the enum (serde and OpenAPI by the code), `ALL`, `as_str`,
/// `label`, [`Code`], parsing (`parse`, and `TryFrom<String>` for stored codes, which is
/// how the database reads them back). The words of the console's own sentences live in
/// its catalogue; the names of values live here, beside their codes.
// The codes are `tt`, not `literal`: a `literal` fragment reaches derive macros wrapped
// in an invisible group, which utoipa does not read as a rename.
macro_rules! code_list {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[doc = $doc:literal])* $variant:ident = $code:tt => $label:tt, )*
        }
    ) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        $(#[$meta])*
        pub enum $name {
            $( $(#[doc = $doc])* #[serde(rename = $code)] $variant, )*
        }

        impl $name {
            pub const ALL: [Self; [$(stringify!($variant)),*].len()] = [$(Self::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }

            /// The name people use for it.
            pub fn label(self) -> &'static str {
                match self {
                    $(Self::$variant => $label,)*
                }
            }

            /// The value a code names, if any.
            pub fn parse(code: &str) -> Option<Self> {
                match code {
                    $($code => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }

        impl $crate::domain::Code for $name {
            fn code(self) -> &'static str {
                self.as_str()
            }

            fn label(self) -> &'static str {
                $name::label(self)
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(code: String) -> Result<Self, String> {
                Self::parse(&code).ok_or_else(|| format!("unknown code `{code}`"))
            }
        }
    };
}

pub mod access;
pub mod application;
pub mod benefit;
pub mod calendar;
pub mod certification;
pub mod cluster;
pub mod dates;
pub mod desk;
pub mod eligibility;
pub mod figures;
pub mod ladder;
pub mod listing;
pub mod obligation;
pub mod refusal;
pub mod region;
pub mod service_request;
pub mod target;
pub mod text;
pub mod uscc;
pub mod visit;
pub mod workflow;

pub use access::{Action, Actor, ApiScope, Forbidden, Principal, Role};
pub use cluster::{Cluster, Clusters};
pub use ladder::{Ladder, Rung, Tier};
pub use refusal::{Refusal, Word, Words};
pub use region::{RegionKind, StreetScope};
pub use uscc::Uscc;
