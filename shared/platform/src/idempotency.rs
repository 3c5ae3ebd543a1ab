//! Safe retries: the answer to every mutating request is stored under its
//! `request_id`, in the same transaction as the change it made. A repeat
//! gets the stored answer; the same id with another body is refused. The
//! outbox sends its message id as `request_id`, so this is also the inbox
//! that makes receivers ignore repeated deliveries.

use prost::Message;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use sha2::{Digest, Sha256};

use crate::error::{ServiceError, ServiceResult};
use crate::ids::parse_uuid;
use crate::store::idempotency_record;
use crate::time::now_ms;

/// The identity of one mutating request.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    request_id: String,
    method: &'static str,
    request_hash: String,
}

impl IdempotencyKey {
    /// Validates the `request_id` (a UUID) and fingerprints the request.
    pub fn new<M: Message>(
        method: &'static str,
        request_id: &str,
        request: &M,
    ) -> ServiceResult<Self> {
        parse_uuid("request_id", request_id)?;
        let digest = Sha256::digest(request.encode_to_vec());
        let request_hash = digest.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Self {
            request_id: request_id.to_owned(),
            method,
            request_hash,
        })
    }

    /// The request id.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The stored answer of an earlier identical request, if any. Fails with
    /// `ALREADY_EXISTS` when the id was used for a different request.
    pub async fn replay<R, C>(&self, conn: &C) -> ServiceResult<Option<R>>
    where
        R: Message + Default,
        C: ConnectionTrait,
    {
        let Some(record) = idempotency_record::Entity::find_by_id(self.request_id.clone())
            .one(conn)
            .await?
        else {
            return Ok(None);
        };
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
            .map(Some)
            .map_err(|e| ServiceError::Internal(format!("stored response undecodable: {e}")))
    }

    /// Stores the answer; call inside the transaction that made the change.
    /// A concurrent twin that committed first makes this fail with `ABORTED`,
    /// and its retry then replays the twin's answer.
    pub async fn save<R, C>(&self, conn: &C, resource_id: &str, response: &R) -> ServiceResult<()>
    where
        R: Message,
        C: ConnectionTrait,
    {
        idempotency_record::ActiveModel {
            request_id: Set(self.request_id.clone()),
            method: Set(self.method.to_owned()),
            request_hash: Set(self.request_hash.clone()),
            response: Set(response.encode_to_vec()),
            resource_id: Set(resource_id.to_owned()),
            created_at: Set(now_ms()),
        }
        .insert(conn)
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
