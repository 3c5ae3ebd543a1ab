//! `backorder.outbox.v1.OutboxAdminService`: every service lets an operator
//! list its parked messages, send one again, or drop one for good.

use backorder_proto::Peer;
use backorder_proto::outbox::v1 as pb;
use backorder_proto::outbox::v1::outbox_admin_service_server::OutboxAdminService;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::OutboxSignal;
use super::policy::PARKED;
use crate::error::{ServiceError, ServiceResult};
use crate::ids::{Violations, parse_uuid};
use crate::paging::PageRequest;
use crate::store::outbox_message;
use crate::time::{now_ms, to_timestamp};
use crate::unit_of_work::UnitOfWork;

/// The outbox administration of one service.
#[derive(Clone)]
pub struct OutboxAdmin {
    service: Peer,
    db: DatabaseConnection,
    units: UnitOfWork,
    signal: OutboxSignal,
}

fn to_proto(message: &outbox_message::Model) -> pb::OutboxMessage {
    pb::OutboxMessage {
        id: message.id.clone(),
        destination: message.destination.clone(),
        method: message.method.clone(),
        attempts: message.attempts,
        last_error: message.last_error.clone().unwrap_or_default(),
        create_time: Some(to_timestamp(message.created_at)),
    }
}

/// The parked message `id`, read inside the caller's transaction.
async fn find_parked<C: ConnectionTrait>(
    conn: &C,
    id: &str,
) -> ServiceResult<outbox_message::Model> {
    let message = outbox_message::Entity::find_by_id(id.to_owned())
        .one(conn)
        .await?
        .ok_or_else(|| ServiceError::not_found("outbox message", id))?;
    if message.delivered_at.is_some() || message.next_attempt_at != PARKED {
        let state = if message.dropped_at.is_some() {
            "was dropped"
        } else if message.delivered_at.is_some() {
            "was delivered"
        } else {
            "is still being delivered"
        };
        return Err(ServiceError::precondition(
            "MESSAGE_NOT_PARKED",
            format!("message {id} {state}; only parked messages can be retried or dropped"),
        ));
    }
    Ok(message)
}

impl OutboxAdmin {
    /// The administration of `service`'s outbox.
    pub fn new(
        service: Peer,
        db: DatabaseConnection,
        units: UnitOfWork,
        signal: OutboxSignal,
    ) -> Self {
        Self {
            service,
            db,
            units,
            signal,
        }
    }

    async fn list(
        &self,
        req: pb::ListParkedMessagesRequest,
    ) -> ServiceResult<pb::ListParkedMessagesResponse> {
        use outbox_message::Column;
        let page = PageRequest::parse(req.page_size, &req.page_token)?;
        let mut query = outbox_message::Entity::find()
            .filter(Column::DeliveredAt.is_null())
            .filter(Expr::cust(format!("next_attempt_at = {PARKED}")));
        if !req.destination.is_empty() {
            let destination: Peer =
                req.destination
                    .parse()
                    .map_err(|e: backorder_proto::UnknownPeer| {
                        ServiceError::invalid("destination", e.to_string())
                    })?;
            query = query.filter(Column::Destination.eq(destination.name()));
        }
        if let Some(after) = &page.after {
            query = query.filter(Column::Id.gt(after.clone()));
        }
        let rows = query
            .order_by_asc(Column::Id)
            .limit(page.fetch_limit())
            .all(&self.db)
            .await?;
        let (rows, next_page_token) = page.finish(rows, |m| m.id.clone());
        Ok(pb::ListParkedMessagesResponse {
            messages: rows.iter().map(to_proto).collect(),
            next_page_token,
        })
    }

    async fn retry(
        &self,
        req: pb::RetryParkedMessageRequest,
    ) -> ServiceResult<pb::RetryParkedMessageResponse> {
        parse_uuid("message_id", &req.message_id)?;
        let id = req.message_id.clone();
        let response = self
            .units
            .execute(&req, move |work| {
                Box::pin(async move {
                    use outbox_message::Column;
                    let mut message = find_parked(work.db(), &id).await?;
                    let now = now_ms();
                    outbox_message::Entity::update_many()
                        .col_expr(Column::Attempts, Expr::value(0))
                        .col_expr(Column::NextAttemptAt, Expr::value(now))
                        .filter(Column::Id.eq(id.clone()))
                        .exec(work.db())
                        .await?;
                    message.attempts = 0;
                    message.next_attempt_at = now;
                    work.set_resource(id);
                    tracing::info!(message_id = %message.id, "parked message retried by an operator");
                    Ok(pb::RetryParkedMessageResponse {
                        message: Some(to_proto(&message)),
                    })
                })
            })
            .await?;
        if let Some(destination) = response
            .message
            .as_ref()
            .and_then(|m| m.destination.parse::<Peer>().ok())
        {
            self.signal.wake(destination);
        }
        Ok(response)
    }

    async fn drop_message(
        &self,
        req: pb::DropParkedMessageRequest,
    ) -> ServiceResult<pb::DropParkedMessageResponse> {
        let mut v = Violations::new();
        v.uuid("message_id", &req.message_id);
        v.text("reason", &req.reason, 500);
        v.finish()?;
        let id = req.message_id.clone();
        let reason = req.reason.trim().to_owned();
        self.units
            .execute(&req, move |work| {
                Box::pin(async move {
                    use outbox_message::Column;
                    let mut message = find_parked(work.db(), &id).await?;
                    let now = now_ms();
                    let last_error = format!(
                        "dropped by an operator: {reason} (last answer: {})",
                        message.last_error.as_deref().unwrap_or("none")
                    );
                    outbox_message::Entity::update_many()
                        .col_expr(Column::DeliveredAt, Expr::value(now))
                        .col_expr(Column::DroppedAt, Expr::value(now))
                        .col_expr(Column::LastError, Expr::value(last_error.clone()))
                        .filter(Column::Id.eq(id.clone()))
                        .exec(work.db())
                        .await?;
                    message.last_error = Some(last_error);
                    work.set_resource(id);
                    tracing::info!(message_id = %message.id, "parked message dropped by an operator");
                    Ok(pb::DropParkedMessageResponse {
                        message: Some(to_proto(&message)),
                    })
                })
            })
            .await
    }
}

#[tonic::async_trait]
impl OutboxAdminService for OutboxAdmin {
    async fn list_parked_messages(
        &self,
        request: tonic::Request<pb::ListParkedMessagesRequest>,
    ) -> Result<tonic::Response<pb::ListParkedMessagesResponse>, tonic::Status> {
        self.list(request.into_inner())
            .await
            .map(tonic::Response::new)
            .map_err(|e| e.into_status(self.service.name()))
    }

    async fn retry_parked_message(
        &self,
        request: tonic::Request<pb::RetryParkedMessageRequest>,
    ) -> Result<tonic::Response<pb::RetryParkedMessageResponse>, tonic::Status> {
        self.retry(request.into_inner())
            .await
            .map(tonic::Response::new)
            .map_err(|e| e.into_status(self.service.name()))
    }

    async fn drop_parked_message(
        &self,
        request: tonic::Request<pb::DropParkedMessageRequest>,
    ) -> Result<tonic::Response<pb::DropParkedMessageResponse>, tonic::Status> {
        self.drop_message(request.into_inner())
            .await
            .map(tonic::Response::new)
            .map_err(|e| e.into_status(self.service.name()))
    }
}
