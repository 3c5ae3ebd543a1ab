//! Ids: UUID v7 for everything the suite creates, parsed strictly at the edge.

use uuid::Uuid;

use crate::error::{FieldViolation, ServiceError};

/// A new time-ordered id.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// A new time-ordered id as the canonical string.
pub fn new_id_string() -> String {
    new_id().to_string()
}

/// Parses a required UUID field, naming the field when it is malformed.
pub fn parse_uuid(field: &str, value: &str) -> Result<Uuid, ServiceError> {
    parse_uuid_violation(field, value).map_err(|v| ServiceError::InvalidArgument(vec![v]))
}

/// Like [`parse_uuid`], but returns the violation so several can be reported.
pub fn parse_uuid_violation(field: &str, value: &str) -> Result<Uuid, FieldViolation> {
    if value.is_empty() {
        return Err(FieldViolation {
            field: field.to_owned(),
            description: "is required (a UUID)".to_owned(),
        });
    }
    Uuid::try_parse(value).map_err(|_| FieldViolation {
        field: field.to_owned(),
        description: format!("must be a UUID, got {}", crate::error::quoted(value)),
    })
}

/// Collects field violations; turns into `INVALID_ARGUMENT` when any exist.
#[derive(Debug, Default)]
pub struct Violations(Vec<FieldViolation>);

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a violation.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation {
            field: field.into(),
            description: description.into(),
        });
    }

    /// Checks a UUID field, recording a violation when malformed.
    pub fn uuid(&mut self, field: &str, value: &str) -> Option<Uuid> {
        match parse_uuid_violation(field, value) {
            Ok(id) => Some(id),
            Err(v) => {
                self.0.push(v);
                None
            }
        }
    }

    /// Checks a required text field (trimmed, at most `max` characters).
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        if value.trim().is_empty() {
            self.add(field, "is required");
        } else if value.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        }
    }

    /// Checks a timestamp against protobuf's own range (years 1 to 9999,
    /// nanos below one second), which JSON clients cannot exceed but binary
    /// ones can.
    pub fn timestamp(&mut self, field: &str, value: &prost_types::Timestamp) {
        const FIRST: i64 = -62_135_596_800;
        const LAST: i64 = 253_402_300_799;
        if !(FIRST..=LAST).contains(&value.seconds) || !(0..1_000_000_000).contains(&value.nanos) {
            self.add(
                field,
                "must be a valid timestamp (years 1 to 9999, nanos 0 to 999999999)",
            );
        }
    }

    /// `Ok(())` when nothing was recorded.
    pub fn finish(self) -> Result<(), ServiceError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ServiceError::InvalidArgument(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_and_missing_ids_are_named() {
        let mut v = Violations::new();
        assert!(v.uuid("order_id", "nope").is_none());
        assert!(v.uuid("line_id", "").is_none());
        assert!(v.uuid("x", &new_id_string()).is_some());
        match v.finish() {
            Err(ServiceError::InvalidArgument(list)) => {
                assert_eq!(list.len(), 2);
                assert_eq!(list[0].field, "order_id");
            }
            other => panic!("expected invalid argument, got {other:?}"),
        }
    }

    #[test]
    fn timestamps_outside_protobufs_range_are_named() {
        let mut v = Violations::new();
        let fine = prost_types::Timestamp {
            seconds: 1_700_000_000,
            nanos: 999_999_999,
        };
        v.timestamp("start_time", &fine);
        assert!(v.0.is_empty());
        v.timestamp(
            "start_time",
            &prost_types::Timestamp {
                seconds: 0,
                nanos: 1_000_000_000,
            },
        );
        v.timestamp(
            "end_time",
            &prost_types::Timestamp {
                seconds: 253_402_300_800,
                nanos: 0,
            },
        );
        let fields: Vec<&str> = v.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["start_time", "end_time"]);
    }
}
