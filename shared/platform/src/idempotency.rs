//! Safe retries: every mutating request claims its `request_id` before it
//! does any work, and its answer is stored under that id in the same
//! transaction as the change. A twin call (a client retry, another replica's
//! sweeper) that arrives while the first is running waits on the claim and
//! then gets the stored answer; the same id with another body is refused.
//! The outbox sends its message id as `request_id`, so this is also the
//! inbox that makes receivers ignore repeated deliveries.
//!
//! Handlers do not use this module directly: [`crate::unit_of_work`] does.

use prost::Message;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TryInsertResult};
use sha2::{Digest, Sha256};

use crate::error::{ServiceError, ServiceResult};
use crate::ids::parse_uuid;
use crate::store::idempotency_record;
use crate::time::now_ms;

/// Hex SHA-256 of the encoded request: equal only for identical requests
/// (every field, untrimmed), which is what decides whether a retry is one.
pub fn fingerprint<M: Message>(request: &M) -> String {
    Sha256::digest(request.encode_to_vec())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The identity of one mutating request.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    request_id: String,
    method: &'static str,
    request_hash: String,
}

/// What claiming a request id found.
pub enum Claim<R> {
    /// The id is ours: do the work, then [`IdempotencyKey::store`].
    Fresh,
    /// An identical request committed earlier: its answer.
    Answered(R),
}

impl IdempotencyKey {
    /// Validates the `request_id` (a UUID) and fingerprints the request.
    pub fn new<M: Message>(
        method: &'static str,
        request_id: &str,
        request: &M,
    ) -> ServiceResult<Self> {
        parse_uuid("request_id", request_id)?;
        Ok(Self {
            request_id: request_id.to_owned(),
            method,
            request_hash: fingerprint(request),
        })
    }

    /// The request id.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// Claims the id inside the transaction, before any work. On
    /// PostgreSQL the insert waits while a twin holds an uncommitted claim;
    /// when the twin commits, its answer is returned, and when it rolls
    /// back, the claim is ours. SQLite serialises writers, so the same holds.
    pub async fn claim<R, C>(&self, conn: &C) -> ServiceResult<Claim<R>>
    where
        R: Message + Default,
        C: ConnectionTrait,
    {
        let placeholder = idempotency_record::ActiveModel {
            request_id: Set(self.request_id.clone()),
            method: Set(self.method.to_owned()),
            request_hash: Set(self.request_hash.clone()),
            response: Set(Vec::new()),
            resource_id: Set(String::new()),
            created_at: Set(now_ms()),
        };
        let inserted = idempotency_record::Entity::insert(placeholder)
            .on_conflict_do_nothing()
            .exec_without_returning(conn)
            .await?;
        // SQLite reports a skipped insert as zero rows, PostgreSQL as a conflict.
        if let TryInsertResult::Inserted(rows) = inserted
            && rows > 0
        {
            return Ok(Claim::Fresh);
        }
        let record = idempotency_record::Entity::find_by_id(self.request_id.clone())
            .one(conn)
            .await?
            .ok_or_else(|| ServiceError::Aborted {
                reason: "CONCURRENT_UPDATE",
                message: format!(
                    "request_id {} is being processed by a concurrent call; retry",
                    self.request_id
                ),
            })?;
        if record.method != self.method || record.request_hash != self.request_hash {
            return Err(ServiceError::AlreadyExists {
                reason: "REQUEST_ID_REUSED",
                message: format!(
                    "request_id {} was already used for a different request ({}); use a new request_id for a new request",
                    self.request_id, record.method
                ),
            });
        }
        R::decode(record.response.as_slice())
            .map(Claim::Answered)
            .map_err(|e| ServiceError::Internal(format!("stored response undecodable: {e}")))
    }

    /// Stores the answer on the claim; call in the claiming transaction.
    pub async fn store<R, C>(&self, conn: &C, resource_id: &str, response: &R) -> ServiceResult<()>
    where
        R: Message,
        C: ConnectionTrait,
    {
        idempotency_record::Entity::update_many()
            .col_expr(
                idempotency_record::Column::Response,
                Expr::value(response.encode_to_vec()),
            )
            .col_expr(
                idempotency_record::Column::ResourceId,
                Expr::value(resource_id.to_owned()),
            )
            .filter(idempotency_record::Column::RequestId.eq(self.request_id.clone()))
            .exec(conn)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_id_must_be_a_uuid() {
        let err = IdempotencyKey::new("m", "not-a-uuid", &prost_types::Duration::default())
            .expect_err("malformed id refused");
        assert_eq!(err.code(), tonic::Code::InvalidArgument);
    }

    #[test]
    fn different_bodies_hash_differently() {
        let id = crate::ids::new_id_string();
        let a = IdempotencyKey::new(
            "m",
            &id,
            &prost_types::Duration {
                seconds: 1,
                nanos: 0,
            },
        )
        .expect("key");
        let b = IdempotencyKey::new(
            "m",
            &id,
            &prost_types::Duration {
                seconds: 2,
                nanos: 0,
            },
        )
        .expect("key");
        assert_ne!(a.request_hash, b.request_hash);
    }
}
