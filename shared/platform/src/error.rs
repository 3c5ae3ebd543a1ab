//! One mapping from what went wrong to the gRPC status a caller can act on.
//!
//! Codes follow the gRPC litmus test: `INVALID_ARGUMENT` is wrong whatever the
//! state, `FAILED_PRECONDITION` is wrong in this state, `ABORTED` is a
//! concurrency conflict worth retrying, `UNAVAILABLE` means retry the call.
//! Every status carries a `google.rpc.ErrorInfo`; bad input also carries a
//! `google.rpc.BadRequest` and refused preconditions a `PreconditionFailure`.

use std::collections::HashMap;
use std::time::Duration;

use sea_orm::{DbErr, SqlErr};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// One invalid request field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field, e.g. `lines[2].quantity`.
    pub field: String,
    /// What is wrong and how to fix it.
    pub description: String,
}

/// One precondition that does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreconditionViolation {
    /// Kind of precondition, UPPER_SNAKE_CASE (e.g. `STOCKOUT`).
    pub kind: String,
    /// What it is about (e.g. `sku:ABC-1`).
    pub subject: String,
    /// What is wrong.
    pub description: String,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is malformed whatever the state.
    #[error("invalid request: {}", describe_violations(.0))]
    InvalidArgument(Vec<FieldViolation>),
    /// A named resource does not exist.
    #[error("{resource} {id} not found")]
    NotFound {
        /// Kind of resource, lower case (e.g. `product`).
        resource: &'static str,
        /// Its id as given.
        id: String,
    },
    /// The request is valid but the system is not in a state to accept it.
    #[error("{message}")]
    FailedPrecondition {
        /// UPPER_SNAKE_CASE reason.
        reason: &'static str,
        /// What to do about it.
        message: String,
        /// The failing preconditions.
        violations: Vec<PreconditionViolation>,
    },
    /// Like [`ServiceError::FailedPrecondition`], with facts the caller
    /// can act on, sent as `ErrorInfo` metadata (such as the earliest date
    /// that could be promised instead).
    #[error("{message}")]
    RefusedWithFacts {
        /// UPPER_SNAKE_CASE reason.
        reason: &'static str,
        /// What to do about it.
        message: String,
        /// The failing preconditions.
        violations: Vec<PreconditionViolation>,
        /// Metadata keys and values.
        facts: Vec<(&'static str, String)>,
    },
    /// The resource (or the request id) already exists.
    #[error("{message}")]
    AlreadyExists {
        /// UPPER_SNAKE_CASE reason.
        reason: &'static str,
        /// What to do about it.
        message: String,
    },
    /// A concurrent change won; retry the call.
    #[error("{message}")]
    Aborted {
        /// UPPER_SNAKE_CASE reason.
        reason: &'static str,
        /// What happened.
        message: String,
    },
    /// A dependency is down; retry the call (with the same request id).
    #[error("{message}")]
    Unavailable {
        /// UPPER_SNAKE_CASE reason.
        reason: &'static str,
        /// What is unreachable.
        message: String,
    },
    /// Nothing is wrong with the request, but the server (or its database)
    /// gave up on it for now: overloaded, or a statement or lock wait past
    /// its limit. The status carries a `google.rpc.RetryInfo`.
    #[error("{message}")]
    RetryLater {
        /// `ABORTED`, `UNAVAILABLE` or `RESOURCE_EXHAUSTED`.
        code: Code,
        /// UPPER_SNAKE_CASE reason.
        reason: &'static str,
        /// What happened.
        message: String,
        /// How long the caller should wait before retrying.
        retry_after: Duration,
    },
    /// A bug or an unexpected failure; details are logged, not returned.
    #[error("internal error: {0}")]
    Internal(String),
    /// A peer's refusal passed on unchanged (its code, message and details
    /// are what the caller must act on).
    #[error("{}", .0.message())]
    Upstream(Status),
}

fn describe_violations(violations: &[FieldViolation]) -> String {
    violations
        .iter()
        .map(|v| format!("{}: {}", v.field, v.description))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ServiceError {
    /// A single invalid field.
    pub fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self::InvalidArgument(vec![FieldViolation {
            field: field.into(),
            description: description.into(),
        }])
    }

    /// A resource that does not exist.
    pub fn not_found(resource: &'static str, id: impl Into<String>) -> Self {
        Self::NotFound {
            resource,
            id: id.into(),
        }
    }

    /// A state that refuses the request, with no per-item detail.
    pub fn precondition(reason: &'static str, message: impl Into<String>) -> Self {
        Self::FailedPrecondition {
            reason,
            message: message.into(),
            violations: Vec::new(),
        }
    }

    /// The gRPC code of this error.
    pub fn code(&self) -> Code {
        match self {
            Self::InvalidArgument(_) => Code::InvalidArgument,
            Self::NotFound { .. } => Code::NotFound,
            Self::FailedPrecondition { .. } | Self::RefusedWithFacts { .. } => {
                Code::FailedPrecondition
            }
            Self::AlreadyExists { .. } => Code::AlreadyExists,
            Self::Aborted { .. } => Code::Aborted,
            Self::Unavailable { .. } => Code::Unavailable,
            Self::RetryLater { code, .. } => *code,
            Self::Internal(_) => Code::Internal,
            Self::Upstream(status) => status.code(),
        }
    }

    fn reason(&self) -> String {
        match self {
            Self::InvalidArgument(_) => "INVALID_FIELD".to_owned(),
            Self::NotFound { resource, .. } => {
                format!("{}_NOT_FOUND", resource.to_uppercase().replace(' ', "_"))
            }
            Self::FailedPrecondition { reason, .. }
            | Self::RefusedWithFacts { reason, .. }
            | Self::AlreadyExists { reason, .. }
            | Self::Aborted { reason, .. }
            | Self::Unavailable { reason, .. }
            | Self::RetryLater { reason, .. } => (*reason).to_owned(),
            Self::Internal(_) | Self::Upstream(_) => "INTERNAL".to_owned(),
        }
    }
}

impl ServiceError {
    /// The status a caller of `service` gets (`ErrorInfo.domain` is
    /// `<service>.backorder`).
    pub fn into_status(self, service: &str) -> Status {
        let error = self;
        if let ServiceError::Upstream(status) = error {
            return status;
        }
        let mut metadata = HashMap::new();
        let message = match &error {
            ServiceError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error");
                "internal error; it has been logged".to_owned()
            }
            other => clip(&other.to_string(), MAX_MESSAGE_CHARS),
        };
        if let ServiceError::NotFound { resource, id } = &error {
            metadata.insert("resource".to_owned(), (*resource).to_owned());
            metadata.insert("id".to_owned(), clip(id, MAX_DETAIL_CHARS));
        }
        if let ServiceError::RefusedWithFacts { facts, .. } = &error {
            for (key, value) in facts {
                metadata.insert((*key).to_owned(), clip(value, MAX_DETAIL_CHARS));
            }
        }
        let mut details =
            ErrorDetails::with_error_info(error.reason(), format!("{service}.backorder"), metadata);
        match &error {
            ServiceError::InvalidArgument(violations) => {
                for v in violations {
                    details.add_bad_request_violation(
                        clip(&v.field, MAX_DETAIL_CHARS),
                        clip(&v.description, MAX_DETAIL_CHARS),
                    );
                }
            }
            ServiceError::FailedPrecondition { violations, .. }
            | ServiceError::RefusedWithFacts { violations, .. } => {
                for v in violations {
                    details.add_precondition_failure_violation(
                        v.kind.clone(),
                        clip(&v.subject, MAX_DETAIL_CHARS),
                        clip(&v.description, MAX_DETAIL_CHARS),
                    );
                }
            }
            ServiceError::RetryLater { retry_after, .. } => {
                details.set_retry_info(Some(*retry_after));
            }
            _ => {}
        }
        Status::with_error_details(error.code(), message, details)
    }
}

impl From<DbErr> for ServiceError {
    fn from(error: DbErr) -> Self {
        match error.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::Aborted {
                reason: "CONCURRENT_UPDATE",
                message: "a concurrent request changed the same record; retry".to_owned(),
            },
            _ => match &error {
                // The session's statement_timeout (or a cancel) stopped the
                // statement; the transaction is rolled back, nothing is
                // written, and the same call may well pass once the load
                // that slowed it is gone.
                _ if sql_state(&error).as_deref() == Some(QUERY_CANCELED) => Self::RetryLater {
                    code: Code::Unavailable,
                    reason: "DATABASE_TIMEOUT",
                    message: "the database gave up on a statement past its time limit; \
                              nothing was written, retry"
                        .to_owned(),
                    retry_after: Duration::from_secs(1),
                },
                // lock_timeout: another transaction holds the rows this one
                // needs; a conflict like a serialization failure.
                _ if sql_state(&error).as_deref() == Some(LOCK_NOT_AVAILABLE) => Self::RetryLater {
                    code: Code::Aborted,
                    reason: "LOCK_TIMEOUT",
                    message: "a concurrent request held the same records too long; \
                              nothing was written, retry"
                        .to_owned(),
                    retry_after: Duration::from_millis(200),
                },
                // Text PostgreSQL cannot hold (a NUL character): the input
                // is at fault, and the statement wrote nothing.
                _ if sql_state(&error).as_deref() == Some(CHARACTER_NOT_IN_REPERTOIRE) => {
                    Self::invalid(
                        "request",
                        "a text field holds a NUL character (U+0000), which cannot be \
                         stored; remove it",
                    )
                }
                // A number past what a column holds.
                _ if sql_state(&error).as_deref() == Some(NUMERIC_VALUE_OUT_OF_RANGE) => {
                    Self::invalid(
                        "request",
                        "a number is out of the range the database can store",
                    )
                }
                DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Self::Unavailable {
                    reason: "DATABASE_UNAVAILABLE",
                    message: format!("database unavailable, retry: {error}"),
                },
                _ if is_serialization_failure(&error) => Self::Aborted {
                    reason: "CONCURRENT_UPDATE",
                    message: "the database refused a concurrent update; retry".to_owned(),
                },
                _ => Self::Internal(error.to_string()),
            },
        }
    }
}

/// PostgreSQL `query_canceled`: `statement_timeout` or a cancel request.
const QUERY_CANCELED: &str = "57014";
/// PostgreSQL `lock_not_available`: `lock_timeout` (or `NOWAIT`).
const LOCK_NOT_AVAILABLE: &str = "55P03";
/// PostgreSQL `character_not_in_repertoire`: a NUL in text.
const CHARACTER_NOT_IN_REPERTOIRE: &str = "22021";
/// PostgreSQL `numeric_value_out_of_range`.
const NUMERIC_VALUE_OUT_OF_RANGE: &str = "22003";

/// The SQLSTATE of a database's refusal, when the error is one.
fn sql_state(error: &DbErr) -> Option<String> {
    let (DbErr::Query(runtime) | DbErr::Exec(runtime) | DbErr::Conn(runtime)) = error else {
        return None;
    };
    let sea_orm::RuntimeErr::SqlxError(sqlx_error) = runtime else {
        return None;
    };
    sqlx_error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|code| code.into_owned())
}

/// PostgreSQL deadlock/serialization failures and SQLite lock timeouts are
/// conflicts that succeed on retry.
fn is_serialization_failure(error: &DbErr) -> bool {
    let text = error.to_string();
    text.contains("40001")
        || text.contains("40P01")
        || text.contains("deadlock detected")
        || text.contains("could not serialize")
        || text.contains("database is locked")
}

/// Longest status message sent, in characters. An answer travels in
/// HTTP/2 headers, which clients cap (16 KiB by default in Rust's h2,
/// 8 KiB in others): an error echoing a huge input must not become a
/// protocol error at the caller.
const MAX_MESSAGE_CHARS: usize = 1024;

/// Longest text of one error detail (a violation, an id), in characters.
const MAX_DETAIL_CHARS: usize = 256;

/// `text` cut to `max` characters, saying how long it was.
fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => format!(
            "{}… ({} characters in all)",
            &text[..end],
            text.chars().count()
        ),
    }
}

/// An input value quoted for an error message, cut to 64 characters: the
/// caller recognises it without the answer carrying all of it back.
pub fn quoted(value: &str) -> String {
    const SHOWN: usize = 64;
    match value.char_indices().nth(SHOWN) {
        None => format!("{value:?}"),
        Some((end, _)) => format!(
            "{:?}… ({} characters)",
            &value[..end],
            value.chars().count()
        ),
    }
}

/// Turns a `Result<T, ServiceError>` into a tonic handler result.
pub type ServiceResult<T> = Result<T, ServiceError>;

/// Implements a tonic service trait by delegating each RPC to the inherent
/// method of the same name, which takes the request message and returns a
/// [`ServiceResult`]; the error becomes a rich [`Status`] in the domain of
/// `$peer` (a [`backorder_proto::Peer`]).
///
/// Each RPC names who may call it (`, by Callers::ORDER.or(Callers::OPERATOR)`,
/// see [`crate::access`]): the table becomes the API's `ACCESS`, enforced
/// before the call is read, and a mutating call by a token holder leaves an
/// audit line.
#[macro_export]
macro_rules! grpc_service {
    ($trait:path => $api:ty as $peer:expr; { $( fn $method:ident($req:ty) -> $resp:ty, by $callers:expr; )* }) => {
        impl $api {
            /// Who may call each RPC of this service.
            pub const ACCESS: &'static [$crate::access::AccessRule] = &[
                $( $crate::access::AccessRule {
                    path: <$req as backorder_proto::Rpc>::PATH,
                    callers: $callers,
                }, )*
            ];
        }

        #[tonic::async_trait]
        impl $trait for $api {
            $(
                async fn $method(
                    &self,
                    request: tonic::Request<$req>,
                ) -> ::std::result::Result<tonic::Response<$resp>, tonic::Status> {
                    let caller = request.extensions().get::<$crate::access::Caller>().cloned();
                    let request = request.into_inner();
                    let request_id = backorder_proto::Rpc::idempotency_key(&request)
                        .filter(|_| caller.is_some())
                        .map(str::to_owned);
                    let result = <$api>::$method(self, request)
                        .await
                        .map(tonic::Response::new)
                        .map_err(|error| error.into_status($peer.name()));
                    $crate::access::audit(
                        caller.as_ref(),
                        <$req as backorder_proto::Rpc>::NAME,
                        request_id.as_deref(),
                        result.as_ref().map_or_else(tonic::Status::code, |_| tonic::Code::Ok),
                    );
                    result
                }
            )*
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_argument_carries_field_violations_and_error_info() {
        let status =
            ServiceError::invalid("lines[0].quantity", "must be at least 1").into_status("order");
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let bad_request = details.bad_request().expect("bad request detail");
        assert_eq!(bad_request.field_violations[0].field, "lines[0].quantity");
        assert_eq!(
            details.error_info().expect("error info").reason,
            "INVALID_FIELD"
        );
    }

    #[test]
    fn a_huge_input_echoed_in_an_error_is_cut_short() {
        let huge = "x".repeat(20_000);
        let status = ServiceError::invalid("sku", format!("unknown SKU {}", "y".repeat(5_000)))
            .into_status("order");
        assert!(status.message().chars().count() < MAX_MESSAGE_CHARS + 40);
        let details = status.get_error_details();
        let violation = &details.bad_request().expect("bad request").field_violations[0];
        assert!(violation.description.contains("characters in all"));
        let status = ServiceError::not_found("order", huge.clone()).into_status("order");
        assert!(status.message().len() < 2_000, "{}", status.message().len());
        assert_eq!(quoted("abc"), "\"abc\"");
        assert!(quoted(&huge).ends_with("(20000 characters)"));
        assert!(quoted(&huge).len() < 100);
    }

    #[test]
    fn not_found_reason_names_the_resource() {
        let status = ServiceError::not_found("purchase order", "x").into_status("procurement");
        assert_eq!(status.code(), Code::NotFound);
        let info = status
            .get_error_details()
            .error_info()
            .cloned()
            .expect("info");
        assert_eq!(info.reason, "PURCHASE_ORDER_NOT_FOUND");
        assert_eq!(info.domain, "procurement.backorder");
        assert_eq!(info.metadata.get("id").map(String::as_str), Some("x"));
    }

    #[test]
    fn retry_later_carries_retry_info_and_its_code() {
        let status = ServiceError::RetryLater {
            code: Code::Aborted,
            reason: "LOCK_TIMEOUT",
            message: "retry".into(),
            retry_after: Duration::from_millis(200),
        }
        .into_status("inventory");
        assert_eq!(status.code(), Code::Aborted);
        let details = status.get_error_details();
        assert_eq!(
            details.retry_info().and_then(|r| r.retry_delay),
            Some(Duration::from_millis(200))
        );
        let info = details.error_info().expect("error info");
        assert_eq!(info.reason, "LOCK_TIMEOUT");
        assert_eq!(info.domain, "inventory.backorder");
    }

    #[test]
    fn internal_errors_hide_their_detail() {
        let status = ServiceError::Internal("secret".into()).into_status("order");
        assert!(!status.message().contains("secret"));
    }
}
