//! gRPC handlers: validate and map requests, run each change in one
//! transaction (with its idempotency record and outbox messages), map
//! results back. The rules live in [`crate::domain`].

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use backorder_platform::error::PreconditionViolation;
use backorder_platform::grpc::PeerChannel;
use backorder_platform::idempotency::IdempotencyKey;
use backorder_platform::ids::{Violations, new_id_string, parse_uuid};
use backorder_platform::measure::percent;
use backorder_platform::outbox::{Envelope, enqueue};
use backorder_platform::paging::PageRequest;
use backorder_platform::service::ServiceContext;
use backorder_platform::telemetry::{continue_stored_trace, current_traceparent, trace_id_of};
use backorder_platform::time::{from_timestamp, now_ms, to_timestamp, to_timestamp_opt};
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1 as inventory_pb;
use backorder_proto::inventory::v1::inventory_service_client::InventoryServiceClient;
use backorder_proto::notification::v1 as notification_pb;
use backorder_proto::notification::v1::NotificationEvent;
use backorder_proto::notification::v1::notification_service_client::NotificationServiceClient;
use backorder_proto::order::v1 as pb;
use backorder_proto::order::v1::order_service_server::OrderService;
use backorder_proto::procurement::v1 as procurement_pb;
use backorder_proto::procurement::v1::procurement_service_client::ProcurementServiceClient;
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use tonic::Code;
use tracing::Instrument;

use crate::domain::{
    self, EtaNews, LineEvent, LineStatus, Move, OrderStatus, ShipPolicy, ShipRefusal,
};
use crate::store::{customer_order, order_line, queries, shipment};

const RESERVE_ORDER_TIMEOUT: Duration = Duration::from_secs(5);
const TIMELINE_CALL_TIMEOUT: Duration = Duration::from_secs(2);
const ISSUE_STOCK: &str = "/backorder.inventory.v1.InventoryService/IssueStock";
const RELEASE_RESERVATION: &str = "/backorder.inventory.v1.InventoryService/ReleaseReservation";
const NOTIFY: &str = "/backorder.notification.v1.NotificationService/Notify";
/// Most lines one order may have.
const MAX_LINES: usize = 200;
/// A pending order older than this is resumed by the sweeper.
const PENDING_GRACE_MS: i64 = 30_000;
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// The order gRPC service.
#[derive(Clone)]
pub struct OrderApi {
    context: ServiceContext,
}

fn line_status(line: &order_line::Model) -> LineStatus {
    LineStatus::from_code(line.status).unwrap_or(LineStatus::Pending)
}

fn line_to_proto(line: &order_line::Model) -> pb::OrderLine {
    pb::OrderLine {
        id: line.id.clone(),
        sku: line.sku.clone(),
        quantity: line.quantity,
        reserved_quantity: line.reserved_quantity,
        backordered_quantity: line.backordered_quantity,
        status: line.status,
        eta: to_timestamp_opt(line.eta),
        shipment_id: line.shipment_id.clone().unwrap_or_default(),
    }
}

fn shipment_to_proto(shipment: &shipment::Model, lines: &[order_line::Model]) -> pb::Shipment {
    pb::Shipment {
        id: shipment.id.clone(),
        order_id: shipment.order_id.clone(),
        tracking_number: shipment.tracking_number.clone(),
        carrier: shipment.carrier.clone(),
        line_ids: lines
            .iter()
            .filter(|l| l.shipment_id.as_deref() == Some(shipment.id.as_str()))
            .map(|l| l.id.clone())
            .collect(),
        status: shipment.status,
        ship_time: Some(to_timestamp(shipment.shipped_at)),
        deliver_time: to_timestamp_opt(shipment.delivered_at),
    }
}

fn order_to_proto(
    order: &customer_order::Model,
    lines: &[order_line::Model],
    shipments: &[shipment::Model],
) -> pb::Order {
    pb::Order {
        id: order.id.clone(),
        customer_id: order.customer_id.clone(),
        status: order.status,
        accept_backorders: order.accept_backorders,
        ship_policy: order.ship_policy,
        lines: lines.iter().map(line_to_proto).collect(),
        shipments: shipments
            .iter()
            .map(|s| shipment_to_proto(s, lines))
            .collect(),
        create_time: Some(to_timestamp(order.created_at)),
        update_time: Some(to_timestamp(order.updated_at)),
        trace_id: order
            .trace_context
            .as_deref()
            .and_then(trace_id_of)
            .unwrap_or_default(),
    }
}

/// A customer message, sent through the outbox in the current trace.
fn notification(
    order: &customer_order::Model,
    line_id: &str,
    event: NotificationEvent,
    detail: String,
) -> notification_pb::NotifyRequest {
    notification_pb::NotifyRequest {
        request_id: new_id_string(),
        customer_id: order.customer_id.clone(),
        order_id: order.id.clone(),
        line_id: line_id.to_owned(),
        event: event as i32,
        detail,
        ..Default::default()
    }
}

/// A customer message about a parcel, with its carrier and tracking number.
fn shipment_notification(
    order: &customer_order::Model,
    shipment: &shipment::Model,
    event: NotificationEvent,
    detail: String,
) -> notification_pb::NotifyRequest {
    notification_pb::NotifyRequest {
        tracking_number: shipment.tracking_number.clone(),
        carrier: shipment.carrier.clone(),
        ..notification(order, "", event, detail)
    }
}

async fn send_notification<C: ConnectionTrait>(
    conn: &C,
    message: notification_pb::NotifyRequest,
) -> ServiceResult<()> {
    let id = message.request_id.clone();
    enqueue(conn, Envelope::new(id, "notification", NOTIFY, &message)).await?;
    Ok(())
}

/// A span in the sale's trace for work an operator started in another trace
/// (shipping, delivery, cancellation), linked both ways.
fn span_in_sale_trace(name: &'static str, order: &customer_order::Model) -> tracing::Span {
    let span = tracing::info_span!("order.lifecycle", otel.name = name, order.id = %order.id);
    continue_stored_trace(
        &span,
        order.trace_context.as_deref(),
        &tracing::Span::current(),
    );
    span
}

/// Applies `event` to a line; `Ok(true)` when it moved, `Ok(false)` when
/// ignored.
fn move_line(line: &mut order_line::Model, event: LineEvent) -> ServiceResult<bool> {
    let from = line_status(line);
    match domain::apply(from, event) {
        Move::To(to) => {
            line.status = to.code();
            Ok(true)
        }
        Move::Ignore => Ok(false),
        Move::NotYet => Err(ServiceError::precondition(
            "LINE_NOT_READY_FOR_EVENT",
            format!(
                "line {} is {}; it cannot take {event:?} yet",
                line.id,
                from.name()
            ),
        )),
        Move::Illegal => Err(ServiceError::precondition(
            "ILLEGAL_LINE_TRANSITION",
            format!(
                "line {} is {}; it cannot take {event:?}",
                line.id,
                from.name()
            ),
        )),
    }
}

fn refresh_status(order: &mut customer_order::Model, lines: &[order_line::Model]) -> OrderStatus {
    let statuses: Vec<LineStatus> = lines.iter().map(line_status).collect();
    let status = domain::order_status(&statuses);
    order.status = status.code();
    order.updated_at = now_ms();
    status
}

fn day(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

impl OrderApi {
    /// Serves from the service's database.
    pub fn new(context: ServiceContext) -> Self {
        Self { context }
    }

    fn inventory(&self) -> ServiceResult<InventoryServiceClient<PeerChannel>> {
        Ok(InventoryServiceClient::new(self.context.peer("inventory")?))
    }

    async fn load_order<C: ConnectionTrait>(
        &self,
        conn: &C,
        order_id: &str,
        lock: bool,
    ) -> ServiceResult<(customer_order::Model, Vec<order_line::Model>)> {
        let order = if lock {
            queries::lock_order(conn, order_id).await?
        } else {
            queries::find_order(conn, order_id).await?
        }
        .ok_or_else(|| ServiceError::not_found("order", order_id))?;
        let lines = queries::lines_of(conn, order_id).await?;
        Ok((order, lines))
    }

    async fn view<C: ConnectionTrait>(
        &self,
        conn: &C,
        order: &customer_order::Model,
        lines: &[order_line::Model],
    ) -> ServiceResult<pb::Order> {
        let shipments = queries::shipments_of_orders(conn, vec![order.id.clone()]).await?;
        Ok(order_to_proto(order, lines, &shipments))
    }

    /// Resumes orders whose reservation went unanswered (inventory down, or
    /// this process stopped mid-call), so none stays pending for ever.
    pub fn spawn_pending_sweeper(&self) {
        let api = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(SWEEP_EVERY).await;
                let stale = queries::stale_pending_orders(
                    &api.context.db,
                    OrderStatus::Pending.code(),
                    now_ms() - PENDING_GRACE_MS,
                    50,
                )
                .await;
                match stale {
                    Ok(orders) => {
                        for order in orders {
                            let id = order.id.clone();
                            if let Err(error) = api.complete_placement(order, None).await {
                                tracing::warn!(order.id = %id, %error, "resuming a pending order failed");
                            }
                        }
                    }
                    Err(error) => tracing::debug!(%error, "pending sweep skipped"),
                }
            }
        });
    }

    /// The `PlaceOrder` RPC.
    pub async fn place_order(
        &self,
        req: pb::PlaceOrderRequest,
    ) -> ServiceResult<pb::PlaceOrderResponse> {
        let mut v = Violations::new();
        v.uuid("customer_id", &req.customer_id);
        if req.lines.is_empty() {
            v.add("lines", "must have at least one line");
        } else if req.lines.len() > MAX_LINES {
            v.add("lines", format!("must have at most {MAX_LINES} lines"));
        }
        for (i, line) in req.lines.iter().enumerate() {
            if line.sku.trim().is_empty() {
                v.add(format!("lines[{i}].sku"), "is required");
            }
            if line.quantity < 1 {
                v.add(format!("lines[{i}].quantity"), "must be at least 1");
            }
        }
        let policy = ShipPolicy::from_code(req.ship_policy);
        if policy.is_none() {
            v.add("ship_policy", "must be AS_AVAILABLE or COMPLETE");
        }
        v.finish()?;
        let policy = policy.unwrap_or(ShipPolicy::AsAvailable);
        let key = IdempotencyKey::new("PlaceOrder", &req.request_id, &req)?;
        let db = &self.context.db;
        if let Some(done) = key.replay(db).await? {
            return Ok(done);
        }
        let order = match queries::find_order_by_request(db, &req.request_id).await? {
            Some(existing) => {
                let lines = queries::lines_of(db, &existing.id).await?;
                let same = existing.customer_id == req.customer_id
                    && lines.len() == req.lines.len()
                    && lines
                        .iter()
                        .zip(&req.lines)
                        .all(|(l, r)| l.sku == r.sku && l.quantity == r.quantity);
                if !same {
                    return Err(ServiceError::AlreadyExists {
                        reason: "REQUEST_ID_REUSED",
                        message: format!(
                            "request_id {} already placed a different order; use a new request_id",
                            req.request_id
                        ),
                    });
                }
                if existing.status != OrderStatus::Pending.code() {
                    let order = self.view(db, &existing, &lines).await?;
                    return Ok(pb::PlaceOrderResponse { order: Some(order) });
                }
                existing
            }
            None => {
                let now = now_ms();
                let order = customer_order::Model {
                    id: new_id_string(),
                    request_id: req.request_id.clone(),
                    customer_id: req.customer_id.clone(),
                    status: OrderStatus::Pending.code(),
                    accept_backorders: req.accept_backorders,
                    ship_policy: policy.code(),
                    trace_context: current_traceparent(),
                    created_at: now,
                    updated_at: now,
                };
                let txn = self.context.begin().await?;
                queries::insert_order(&txn, order.clone()).await?;
                for (i, line) in req.lines.iter().enumerate() {
                    queries::insert_line(
                        &txn,
                        order_line::Model {
                            id: new_id_string(),
                            order_id: order.id.clone(),
                            line_no: i32::try_from(i).unwrap_or(i32::MAX),
                            sku: line.sku.trim().to_owned(),
                            quantity: line.quantity,
                            reserved_quantity: 0,
                            backordered_quantity: 0,
                            status: LineStatus::Pending.code(),
                            eta: None,
                            purchase_order_id: None,
                            shipment_id: None,
                            updated_at: now,
                        },
                    )
                    .await?;
                }
                txn.commit().await?;
                order
            }
        };
        self.complete_placement(order, Some(&key)).await
    }

    /// Asks inventory to reserve a pending order (idempotent by order id)
    /// and records the answer; a refusal removes the order again.
    async fn complete_placement(
        &self,
        order: customer_order::Model,
        key: Option<&IdempotencyKey>,
    ) -> ServiceResult<pb::PlaceOrderResponse> {
        let lines = queries::lines_of(&self.context.db, &order.id).await?;
        let mut request = tonic::Request::new(inventory_pb::ReserveOrderRequest {
            request_id: order.id.clone(),
            order_id: order.id.clone(),
            accept_backorders: order.accept_backorders,
            lines: lines
                .iter()
                .map(|l| inventory_pb::ReserveLine {
                    line_id: l.id.clone(),
                    sku: l.sku.clone(),
                    quantity: l.quantity,
                })
                .collect(),
        });
        request.set_timeout(RESERVE_ORDER_TIMEOUT);
        let reply = self.inventory()?.reserve_order(request).await;
        let reservation = match reply {
            Ok(reply) => reply.into_inner(),
            Err(status) => {
                return match status.code() {
                    Code::FailedPrecondition | Code::NotFound | Code::InvalidArgument => {
                        let txn = self.context.begin().await?;
                        queries::delete_order(&txn, &order.id).await?;
                        txn.commit().await?;
                        Err(ServiceError::Upstream(status))
                    }
                    _ => Err(ServiceError::Unavailable {
                        reason: "INVENTORY_UNAVAILABLE",
                        message: format!(
                            "inventory could not reserve the order ({:?}: {}); retry PlaceOrder with the same request_id",
                            status.code(),
                            status.message()
                        ),
                    }),
                };
            }
        };
        let txn = self.context.begin().await?;
        let (mut order, mut lines) = self.load_order(&txn, &order.id, true).await?;
        if order.status != OrderStatus::Pending.code() {
            // A twin request or the sweeper finished it first.
            let view = self.view(&txn, &order, &lines).await?;
            return Ok(pb::PlaceOrderResponse { order: Some(view) });
        }
        let outcomes: BTreeMap<&str, &inventory_pb::LineReservation> = reservation
            .lines
            .iter()
            .map(|l| (l.line_id.as_str(), l))
            .collect();
        let mut backordered = Vec::new();
        for line in &mut lines {
            let Some(outcome) = outcomes.get(line.id.as_str()) else {
                return Err(ServiceError::Internal(format!(
                    "inventory skipped line {}",
                    line.id
                )));
            };
            line.reserved_quantity = outcome.reserved_quantity;
            line.backordered_quantity = outcome.backordered_quantity;
            move_line(
                line,
                LineEvent::Reserved {
                    backordered: outcome.backordered_quantity > 0,
                },
            )?;
            queries::update_line(&txn, line).await?;
            if outcome.backordered_quantity > 0 {
                queries::record_event(
                    &txn,
                    &order.id,
                    &line.id,
                    "line_backordered",
                    format!(
                        "{} x {}: {} reserved, {} backordered",
                        line.quantity,
                        line.sku,
                        outcome.reserved_quantity,
                        outcome.backordered_quantity
                    ),
                )
                .await?;
                backordered.push(line.clone());
            } else {
                queries::record_event(
                    &txn,
                    &order.id,
                    &line.id,
                    "line_reserved",
                    format!("{} x {} reserved", line.quantity, line.sku),
                )
                .await?;
            }
        }
        refresh_status(&mut order, &lines);
        queries::set_order_status(&txn, &order.id, order.status).await?;
        queries::record_event(
            &txn,
            &order.id,
            "",
            "order_placed",
            format!("{} line(s)", lines.len()),
        )
        .await?;
        let summary = lines
            .iter()
            .map(|l| format!("{} x {}", l.quantity, l.sku))
            .collect::<Vec<_>>()
            .join(", ");
        send_notification(
            &txn,
            notification(&order, "", NotificationEvent::OrderConfirmed, summary),
        )
        .await?;
        for line in &backordered {
            let detail = format!(
                "{} of {} x {} are on backorder: the item is out of stock",
                line.backordered_quantity, line.quantity, line.sku
            );
            send_notification(
                &txn,
                notification(&order, &line.id, NotificationEvent::Backordered, detail),
            )
            .await?;
        }
        let response = pb::PlaceOrderResponse {
            order: Some(self.view(&txn, &order, &lines).await?),
        };
        if let Some(key) = key {
            key.save(&txn, &order.id, &response).await?;
        }
        self.context.commit(txn, true).await?;
        Ok(response)
    }

    /// The `GetOrder` RPC.
    pub async fn get_order(&self, req: pb::GetOrderRequest) -> ServiceResult<pb::GetOrderResponse> {
        parse_uuid("order_id", &req.order_id)?;
        let db = &self.context.db;
        let (order, lines) = self.load_order(db, &req.order_id, false).await?;
        Ok(pb::GetOrderResponse {
            order: Some(self.view(db, &order, &lines).await?),
        })
    }

    /// The `ListOrders` RPC.
    pub async fn list_orders(
        &self,
        req: pb::ListOrdersRequest,
    ) -> ServiceResult<pb::ListOrdersResponse> {
        let page = PageRequest::parse(req.page_size, &req.page_token)?;
        if !req.customer_id.is_empty() {
            parse_uuid("customer_id", &req.customer_id)?;
        }
        if !(0..=7).contains(&req.status) {
            return Err(ServiceError::invalid("status", "is not an OrderStatus"));
        }
        let db = &self.context.db;
        let customer = (!req.customer_id.is_empty()).then_some(req.customer_id.as_str());
        let status = (req.status != 0).then_some(req.status);
        let rows = queries::list_orders(
            db,
            customer,
            status,
            page.after.as_deref(),
            page.fetch_limit(),
        )
        .await?;
        let (orders, next_page_token) = page.finish(rows, |o| o.id.clone());
        let ids: Vec<String> = orders.iter().map(|o| o.id.clone()).collect();
        let lines = queries::lines_of_orders(db, ids.clone()).await?;
        let shipments = queries::shipments_of_orders(db, ids).await?;
        let orders = orders
            .iter()
            .map(|o| {
                let own_lines: Vec<order_line::Model> = lines
                    .iter()
                    .filter(|l| l.order_id == o.id)
                    .cloned()
                    .collect();
                let own_shipments: Vec<shipment::Model> = shipments
                    .iter()
                    .filter(|s| s.order_id == o.id)
                    .cloned()
                    .collect();
                order_to_proto(o, &own_lines, &own_shipments)
            })
            .collect();
        Ok(pb::ListOrdersResponse {
            orders,
            next_page_token,
        })
    }

    async fn cancel_lines(
        &self,
        txn: &DatabaseTransaction,
        order: &mut customer_order::Model,
        lines: &mut [order_line::Model],
        which: &[usize],
        reason: &str,
    ) -> ServiceResult<()> {
        for &i in which {
            let Some(line) = lines.get_mut(i) else {
                continue;
            };
            move_line(line, LineEvent::Cancelled)?;
            queries::update_line(txn, line).await?;
            queries::record_event(
                txn,
                &order.id,
                &line.id,
                "line_cancelled",
                reason.to_owned(),
            )
            .await?;
            let id = new_id_string();
            let release = inventory_pb::ReleaseReservationRequest {
                request_id: id.clone(),
                order_id: order.id.clone(),
                line_id: line.id.clone(),
            };
            enqueue(
                txn,
                Envelope::new(id, "inventory", RELEASE_RESERVATION, &release),
            )
            .await?;
            let detail = format!("{} x {} cancelled: {reason}", line.quantity, line.sku);
            send_notification(
                txn,
                notification(order, &line.id, NotificationEvent::Cancelled, detail),
            )
            .await?;
        }
        refresh_status(order, lines);
        queries::set_order_status(txn, &order.id, order.status).await?;
        Ok(())
    }

    /// The `CancelOrder` RPC.
    pub async fn cancel_order(
        &self,
        req: pb::CancelOrderRequest,
    ) -> ServiceResult<pb::CancelOrderResponse> {
        let mut v = Violations::new();
        v.uuid("order_id", &req.order_id);
        if req.reason.chars().count() > 500 {
            v.add("reason", "must be at most 500 characters");
        }
        v.finish()?;
        let key = IdempotencyKey::new("CancelOrder", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let (mut order, mut lines) = self.load_order(&txn, &req.order_id, true).await?;
        if order.status == OrderStatus::Pending.code() {
            return Err(ServiceError::precondition(
                "ORDER_PENDING",
                "the order is still being reserved; retry shortly",
            ));
        }
        let cancellable: Vec<usize> = lines
            .iter()
            .enumerate()
            .filter(|(_, l)| matches!(line_status(l), LineStatus::Backordered | LineStatus::Ready))
            .map(|(i, _)| i)
            .collect();
        if cancellable.is_empty() {
            return Err(ServiceError::precondition(
                "NOTHING_TO_CANCEL",
                format!(
                    "order {} has no line that can still be cancelled (all shipped or cancelled)",
                    order.id
                ),
            ));
        }
        let reason = if req.reason.trim().is_empty() {
            "cancelled on request".to_owned()
        } else {
            req.reason.trim().to_owned()
        };
        let span = span_in_sale_trace("cancel order", &order);
        async {
            self.cancel_lines(&txn, &mut order, &mut lines, &cancellable, &reason)
                .await?;
            let response = pb::CancelOrderResponse {
                order: Some(self.view(&txn, &order, &lines).await?),
            };
            key.save(&txn, &order.id, &response).await?;
            self.context.commit(txn, true).await?;
            Ok(response)
        }
        .instrument(span)
        .await
    }

    /// The `CancelOrderLine` RPC.
    pub async fn cancel_order_line(
        &self,
        req: pb::CancelOrderLineRequest,
    ) -> ServiceResult<pb::CancelOrderLineResponse> {
        let mut v = Violations::new();
        v.uuid("order_id", &req.order_id);
        v.uuid("line_id", &req.line_id);
        if req.reason.chars().count() > 500 {
            v.add("reason", "must be at most 500 characters");
        }
        v.finish()?;
        let key = IdempotencyKey::new("CancelOrderLine", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let (mut order, mut lines) = self.load_order(&txn, &req.order_id, true).await?;
        let index = lines
            .iter()
            .position(|l| l.id == req.line_id)
            .ok_or_else(|| ServiceError::not_found("order line", &req.line_id))?;
        let reason = if req.reason.trim().is_empty() {
            "cancelled on request".to_owned()
        } else {
            req.reason.trim().to_owned()
        };
        let span = span_in_sale_trace("cancel order line", &order);
        async {
            self.cancel_lines(&txn, &mut order, &mut lines, &[index], &reason)
                .await?;
            let response = pb::CancelOrderLineResponse {
                order: Some(self.view(&txn, &order, &lines).await?),
            };
            key.save(&txn, &order.id, &response).await?;
            self.context.commit(txn, true).await?;
            Ok(response)
        }
        .instrument(span)
        .await
    }

    /// The `CreateShipment` RPC.
    pub async fn create_shipment(
        &self,
        req: pb::CreateShipmentRequest,
    ) -> ServiceResult<pb::CreateShipmentResponse> {
        let mut v = Violations::new();
        v.uuid("order_id", &req.order_id);
        v.text("tracking_number", &req.tracking_number, 100);
        v.text("carrier", &req.carrier, 100);
        let mut seen = HashSet::new();
        for (i, id) in req.line_ids.iter().enumerate() {
            if v.uuid(&format!("line_ids[{i}]"), id).is_some() && !seen.insert(id.as_str()) {
                v.add(format!("line_ids[{i}]"), "repeats an earlier line id");
            }
        }
        v.finish()?;
        let key = IdempotencyKey::new("CreateShipment", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let (mut order, mut lines) = self.load_order(&txn, &req.order_id, true).await?;
        let named = if req.line_ids.is_empty() {
            None
        } else {
            let mut indices = Vec::new();
            for id in &req.line_ids {
                indices.push(
                    lines
                        .iter()
                        .position(|l| &l.id == id)
                        .ok_or_else(|| ServiceError::not_found("order line", id))?,
                );
            }
            Some(indices)
        };
        let statuses: Vec<LineStatus> = lines.iter().map(line_status).collect();
        let policy = ShipPolicy::from_code(order.ship_policy).unwrap_or(ShipPolicy::AsAvailable);
        let chosen =
            domain::plan_shipment(policy, &statuses, named.as_deref()).map_err(|refusal| {
                match refusal {
                    ShipRefusal::NothingReady => ServiceError::precondition(
                        "NOTHING_TO_SHIP",
                        format!("order {} has no line ready to ship", order.id),
                    ),
                    ShipRefusal::LineNotReady(i, status) => ServiceError::FailedPrecondition {
                        reason: "LINE_NOT_READY",
                        message: format!(
                            "line {} is {}, not ready to ship",
                            lines.get(i).map(|l| l.id.as_str()).unwrap_or(""),
                            status.name()
                        ),
                        violations: vec![PreconditionViolation {
                            kind: "LINE_NOT_READY".to_owned(),
                            subject: format!(
                                "line_ids:{}",
                                lines.get(i).map(|l| l.id.as_str()).unwrap_or("")
                            ),
                            description: format!("the line is {}", status.name()),
                        }],
                    },
                    ShipRefusal::WaitingForCompletion => ServiceError::precondition(
                        "SHIP_COMPLETE_WAITING",
                        "the order ships complete and some lines still wait for stock",
                    ),
                }
            })?;
        let span = span_in_sale_trace("ship order lines", &order);
        async {
            let now = now_ms();
            let shipment = shipment::Model {
                id: new_id_string(),
                order_id: order.id.clone(),
                tracking_number: req.tracking_number.trim().to_owned(),
                carrier: req.carrier.trim().to_owned(),
                status: pb::ShipmentStatus::Shipped as i32,
                shipped_at: now,
                delivered_at: None,
            };
            queries::insert_shipment(&txn, shipment.clone()).await?;
            let mut shipped_ids = Vec::new();
            for &i in &chosen {
                let Some(line) = lines.get_mut(i) else {
                    continue;
                };
                move_line(line, LineEvent::Shipped)?;
                line.shipment_id = Some(shipment.id.clone());
                queries::update_line(&txn, line).await?;
                queries::record_event(
                    &txn,
                    &order.id,
                    &line.id,
                    "line_shipped",
                    format!(
                        "{} x {} with {} {}",
                        line.quantity, line.sku, shipment.carrier, shipment.tracking_number
                    ),
                )
                .await?;
                shipped_ids.push(line.id.clone());
            }
            refresh_status(&mut order, &lines);
            queries::set_order_status(&txn, &order.id, order.status).await?;
            let id = new_id_string();
            let issue = inventory_pb::IssueStockRequest {
                request_id: id.clone(),
                order_id: order.id.clone(),
                line_ids: shipped_ids.clone(),
                shipment_id: shipment.id.clone(),
            };
            enqueue(&txn, Envelope::new(id, "inventory", ISSUE_STOCK, &issue)).await?;
            let detail = format!("{} line(s) shipped", shipped_ids.len());
            let message =
                shipment_notification(&order, &shipment, NotificationEvent::Shipped, detail);
            send_notification(&txn, message).await?;
            let response = pb::CreateShipmentResponse {
                shipment: Some(shipment_to_proto(&shipment, &lines)),
                order: Some(self.view(&txn, &order, &lines).await?),
            };
            key.save(&txn, &shipment.id, &response).await?;
            self.context.commit(txn, true).await?;
            Ok(response)
        }
        .instrument(span)
        .await
    }

    /// The `MarkDelivered` RPC.
    pub async fn mark_delivered(
        &self,
        req: pb::MarkDeliveredRequest,
    ) -> ServiceResult<pb::MarkDeliveredResponse> {
        parse_uuid("shipment_id", &req.shipment_id)?;
        let key = IdempotencyKey::new("MarkDelivered", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let found = queries::find_shipment(&txn, &req.shipment_id)
            .await?
            .ok_or_else(|| ServiceError::not_found("shipment", &req.shipment_id))?;
        let (mut order, mut lines) = self.load_order(&txn, &found.order_id, true).await?;
        let mut shipment = queries::find_shipment(&txn, &req.shipment_id)
            .await?
            .unwrap_or(found);
        if shipment.status == pb::ShipmentStatus::Delivered as i32 {
            return Err(ServiceError::precondition(
                "ALREADY_DELIVERED",
                format!("shipment {} was already delivered", shipment.id),
            ));
        }
        let span = span_in_sale_trace("deliver shipment", &order);
        async {
            let now = now_ms();
            queries::set_shipment_delivered(&txn, &shipment.id, now).await?;
            shipment.status = pb::ShipmentStatus::Delivered as i32;
            shipment.delivered_at = Some(now);
            for line in lines
                .iter_mut()
                .filter(|l| l.shipment_id.as_deref() == Some(shipment.id.as_str()))
            {
                if move_line(line, LineEvent::Delivered)? {
                    queries::update_line(&txn, line).await?;
                }
            }
            refresh_status(&mut order, &lines);
            queries::set_order_status(&txn, &order.id, order.status).await?;
            queries::record_event(
                &txn,
                &order.id,
                "",
                "shipment_delivered",
                format!(
                    "{} {} delivered",
                    shipment.carrier, shipment.tracking_number
                ),
            )
            .await?;
            let detail = "your parcel was delivered".to_owned();
            let message =
                shipment_notification(&order, &shipment, NotificationEvent::Delivered, detail);
            send_notification(&txn, message).await?;
            let response = pb::MarkDeliveredResponse {
                shipment: Some(shipment_to_proto(&shipment, &lines)),
                order: Some(self.view(&txn, &order, &lines).await?),
            };
            key.save(&txn, &shipment.id, &response).await?;
            self.context.commit(txn, true).await?;
            Ok(response)
        }
        .instrument(span)
        .await
    }

    /// The `MarkLineAllocated` RPC.
    pub async fn mark_line_allocated(
        &self,
        req: pb::MarkLineAllocatedRequest,
    ) -> ServiceResult<pb::MarkLineAllocatedResponse> {
        let mut v = Violations::new();
        v.uuid("order_id", &req.order_id);
        v.uuid("line_id", &req.line_id);
        v.finish()?;
        let key = IdempotencyKey::new("MarkLineAllocated", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let (mut order, mut lines) = self.load_order(&txn, &req.order_id, true).await?;
        let index = lines
            .iter()
            .position(|l| l.id == req.line_id)
            .ok_or_else(|| ServiceError::not_found("order line", &req.line_id))?;
        let moved = match lines.get_mut(index) {
            Some(line) => move_line(line, LineEvent::Allocated)?,
            None => false,
        };
        if moved && let Some(line) = lines.get(index).cloned() {
            queries::update_line(&txn, &line).await?;
            queries::record_event(
                &txn,
                &order.id,
                &line.id,
                "line_allocated",
                format!(
                    "{} x {} allocated from arriving stock",
                    line.quantity, line.sku
                ),
            )
            .await?;
            refresh_status(&mut order, &lines);
            queries::set_order_status(&txn, &order.id, order.status).await?;
            let detail = format!(
                "{} x {} is in stock and ready to ship",
                line.quantity, line.sku
            );
            send_notification(
                &txn,
                notification(&order, &line.id, NotificationEvent::Ready, detail),
            )
            .await?;
        }
        let response = pb::MarkLineAllocatedResponse {
            line: lines.get(index).map(line_to_proto),
        };
        key.save(&txn, &order.id, &response).await?;
        self.context.commit(txn, true).await?;
        Ok(response)
    }

    /// The `UpdateLineEta` RPC.
    pub async fn update_line_eta(
        &self,
        req: pb::UpdateLineEtaRequest,
    ) -> ServiceResult<pb::UpdateLineEtaResponse> {
        let mut v = Violations::new();
        v.uuid("order_id", &req.order_id);
        v.uuid("line_id", &req.line_id);
        if req.eta.is_none() {
            v.add("eta", "is required");
        }
        if !req.purchase_order_id.is_empty() {
            v.uuid("purchase_order_id", &req.purchase_order_id);
        }
        v.finish()?;
        let eta = req.eta.as_ref().map(from_timestamp).unwrap_or_default();
        let key = IdempotencyKey::new("UpdateLineEta", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let (order, mut lines) = self.load_order(&txn, &req.order_id, true).await?;
        let index = lines
            .iter()
            .position(|l| l.id == req.line_id)
            .ok_or_else(|| ServiceError::not_found("order line", &req.line_id))?;
        if let Some(line) = lines.get_mut(index) {
            match line_status(line) {
                LineStatus::Pending => {
                    return Err(ServiceError::precondition(
                        "LINE_NOT_READY_FOR_EVENT",
                        "the order is still being placed; retry shortly",
                    ));
                }
                LineStatus::Backordered => {
                    let news = domain::eta_news(line.eta, eta);
                    line.eta = Some(eta);
                    if !req.purchase_order_id.is_empty() {
                        line.purchase_order_id = Some(req.purchase_order_id.clone());
                    }
                    queries::update_line(&txn, line).await?;
                    let (event_name, event) = match news {
                        EtaNews::Known => ("eta_known", Some(NotificationEvent::EtaKnown)),
                        EtaNews::Changed => ("eta_changed", Some(NotificationEvent::EtaChanged)),
                        EtaNews::Unchanged => ("eta_confirmed", None),
                    };
                    queries::record_event(
                        &txn,
                        &order.id,
                        &line.id,
                        event_name,
                        format!(
                            "expected {} (purchase order {})",
                            day(eta),
                            req.purchase_order_id
                        ),
                    )
                    .await?;
                    if let Some(event) = event {
                        let mut message = notification(
                            &order,
                            &line.id,
                            event,
                            format!("{} x {}", line.quantity, line.sku),
                        );
                        message.eta = Some(to_timestamp(eta));
                        send_notification(&txn, message).await?;
                    }
                }
                // The line has its stock or is gone: an ETA is stale news.
                _ => {}
            }
        }
        let response = pb::UpdateLineEtaResponse {
            line: lines.get(index).map(line_to_proto),
        };
        key.save(&txn, &order.id, &response).await?;
        self.context.commit(txn, true).await?;
        Ok(response)
    }

    /// The `GetBackorderStats` RPC.
    pub async fn get_backorder_stats(
        &self,
        req: pb::GetBackorderStatsRequest,
    ) -> ServiceResult<pb::GetBackorderStatsResponse> {
        let mut v = Violations::new();
        for (field, value) in [("start_time", &req.start_time), ("end_time", &req.end_time)] {
            if let Some(ts) = value {
                v.timestamp(field, ts);
            }
        }
        v.finish()?;
        let start = req.start_time.as_ref().map(from_timestamp);
        let end = req.end_time.as_ref().map(from_timestamp);
        if let (Some(start), Some(end)) = (start, end)
            && end <= start
        {
            return Err(ServiceError::invalid(
                "end_time",
                "must be after start_time (the window is [start_time, end_time))",
            ));
        }
        let counts = queries::backorder_counts(&self.context.db, start, end).await?;
        Ok(pb::GetBackorderStatsResponse {
            orders_placed: counts.orders_placed,
            orders_backordered: counts.orders_backordered,
            backorder_rate_percent: percent(counts.orders_backordered, counts.orders_placed),
            lines_placed: counts.lines_placed,
            lines_filled_from_stock: counts.lines_from_stock,
            line_fill_rate_percent: percent(counts.lines_from_stock, counts.lines_placed),
            units_ordered: counts.units_ordered,
            units_from_stock: counts.units_from_stock,
            unit_fill_rate_percent: percent(counts.units_from_stock, counts.units_ordered),
        })
    }

    /// The `GetOrderTimeline` RPC.
    pub async fn get_order_timeline(
        &self,
        req: pb::GetOrderTimelineRequest,
    ) -> ServiceResult<pb::GetOrderTimelineResponse> {
        parse_uuid("order_id", &req.order_id)?;
        let db = &self.context.db;
        let (order, _) = self.load_order(db, &req.order_id, false).await?;
        let mut events: Vec<(i64, u8, pb::TimelineEvent)> = Vec::new();
        let mut push =
            |ms: i64, rank: u8, service: &str, event: &str, line_id: &str, detail: String| {
                events.push((
                    ms,
                    rank,
                    pb::TimelineEvent {
                        time: Some(to_timestamp(ms)),
                        service: service.to_owned(),
                        event: event.to_owned(),
                        line_id: line_id.to_owned(),
                        detail,
                    },
                ));
            };
        for e in queries::events_of(db, &order.id).await? {
            push(e.created_at, 1, "order", &e.event, &e.line_id, e.detail);
        }
        let mut unavailable = Vec::new();
        let (reservations, demands, notifications) = tokio::join!(
            self.timeline_reservations(&order.id),
            self.timeline_demands(&order.id),
            self.timeline_notifications(&order.id),
        );
        match reservations {
            Ok(list) => {
                for r in list {
                    let created = r
                        .create_time
                        .as_ref()
                        .map(from_timestamp)
                        .unwrap_or_default();
                    let updated = r
                        .update_time
                        .as_ref()
                        .map(from_timestamp)
                        .unwrap_or_default();
                    push(
                        created,
                        0,
                        "inventory",
                        "stock_reserved",
                        &r.line_id,
                        format!(
                            "{} x {}: {} reserved now, {} still waiting",
                            r.quantity, r.sku, r.reserved_quantity, r.waiting_quantity
                        ),
                    );
                    let state = inventory_pb::ReservationState::try_from(r.state)
                        .unwrap_or(inventory_pb::ReservationState::Unspecified);
                    let later = match state {
                        inventory_pb::ReservationState::Allocated if updated > created => {
                            Some("stock_allocated")
                        }
                        inventory_pb::ReservationState::Issued => Some("stock_issued"),
                        inventory_pb::ReservationState::Released => Some("reservation_released"),
                        _ => None,
                    };
                    if let Some(name) = later {
                        push(
                            updated,
                            2,
                            "inventory",
                            name,
                            &r.line_id,
                            format!("{} x {}", r.quantity, r.sku),
                        );
                    }
                }
            }
            Err(_) => unavailable.push("inventory".to_owned()),
        }
        match demands {
            Ok(list) => {
                for d in list {
                    let created = d
                        .create_time
                        .as_ref()
                        .map(from_timestamp)
                        .unwrap_or_default();
                    let detail = match (&d.purchase_order_id, &d.eta) {
                        (po, Some(eta)) if !po.is_empty() => {
                            format!(
                                "{} x {} on purchase order {po}, expected {}",
                                d.quantity,
                                d.sku,
                                day(from_timestamp(eta))
                            )
                        }
                        _ => format!("{} x {} awaiting a supplier", d.quantity, d.sku),
                    };
                    push(
                        created,
                        1,
                        "procurement",
                        if d.released {
                            "demand_closed"
                        } else {
                            "demand_added"
                        },
                        &d.line_id,
                        detail,
                    );
                }
            }
            Err(_) => unavailable.push("procurement".to_owned()),
        }
        match notifications {
            Ok(list) => {
                for n in list {
                    let created = n
                        .create_time
                        .as_ref()
                        .map(from_timestamp)
                        .unwrap_or_default();
                    let event = NotificationEvent::try_from(n.event)
                        .map(|e| {
                            e.as_str_name()
                                .trim_start_matches("NOTIFICATION_EVENT_")
                                .to_lowercase()
                        })
                        .unwrap_or_default();
                    let channels = n
                        .deliveries
                        .iter()
                        .filter_map(|d| notification_pb::Channel::try_from(d.channel).ok())
                        .map(|c| {
                            c.as_str_name()
                                .trim_start_matches("CHANNEL_")
                                .to_lowercase()
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    push(
                        created,
                        3,
                        "notification",
                        "customer_notified",
                        &n.line_id,
                        format!(
                            "{event} via {}",
                            if channels.is_empty() {
                                "no channel"
                            } else {
                                &channels
                            }
                        ),
                    );
                }
            }
            Err(_) => unavailable.push("notification".to_owned()),
        }
        events.sort_by_key(|e| (e.0, e.1));
        Ok(pb::GetOrderTimelineResponse {
            order_id: order.id.clone(),
            trace_id: order
                .trace_context
                .as_deref()
                .and_then(trace_id_of)
                .unwrap_or_default(),
            events: events.into_iter().map(|(_, _, e)| e).collect(),
            unavailable_services: unavailable,
        })
    }

    async fn timeline_reservations(
        &self,
        order_id: &str,
    ) -> ServiceResult<Vec<inventory_pb::Reservation>> {
        let mut client = self.inventory()?;
        let mut all = Vec::new();
        let mut page_token = String::new();
        loop {
            let mut request = tonic::Request::new(inventory_pb::ListReservationsRequest {
                order_id: order_id.to_owned(),
                page_size: 500,
                page_token: page_token.clone(),
                ..Default::default()
            });
            request.set_timeout(TIMELINE_CALL_TIMEOUT);
            let page = client
                .list_reservations(request)
                .await
                .map_err(ServiceError::Upstream)?
                .into_inner();
            all.extend(page.reservations);
            if page.next_page_token.is_empty() {
                return Ok(all);
            }
            page_token = page.next_page_token;
        }
    }

    async fn timeline_demands(&self, order_id: &str) -> ServiceResult<Vec<procurement_pb::Demand>> {
        let mut client = ProcurementServiceClient::new(self.context.peer("procurement")?);
        let mut request = tonic::Request::new(procurement_pb::ListDemandsRequest {
            order_id: order_id.to_owned(),
        });
        request.set_timeout(TIMELINE_CALL_TIMEOUT);
        Ok(client
            .list_demands(request)
            .await
            .map_err(ServiceError::Upstream)?
            .into_inner()
            .demands)
    }

    async fn timeline_notifications(
        &self,
        order_id: &str,
    ) -> ServiceResult<Vec<notification_pb::Notification>> {
        let mut client = NotificationServiceClient::new(self.context.peer("notification")?);
        let mut all = Vec::new();
        let mut page_token = String::new();
        loop {
            let mut request = tonic::Request::new(notification_pb::ListNotificationsRequest {
                order_id: order_id.to_owned(),
                page_size: 500,
                page_token: page_token.clone(),
                ..Default::default()
            });
            request.set_timeout(TIMELINE_CALL_TIMEOUT);
            let page = client
                .list_notifications(request)
                .await
                .map_err(ServiceError::Upstream)?
                .into_inner();
            all.extend(page.notifications);
            if page.next_page_token.is_empty() {
                return Ok(all);
            }
            page_token = page.next_page_token;
        }
    }
}

backorder_platform::grpc_service! {
    OrderService => OrderApi {
        fn place_order(pb::PlaceOrderRequest) -> pb::PlaceOrderResponse;
        fn get_order(pb::GetOrderRequest) -> pb::GetOrderResponse;
        fn list_orders(pb::ListOrdersRequest) -> pb::ListOrdersResponse;
        fn cancel_order(pb::CancelOrderRequest) -> pb::CancelOrderResponse;
        fn cancel_order_line(pb::CancelOrderLineRequest) -> pb::CancelOrderLineResponse;
        fn create_shipment(pb::CreateShipmentRequest) -> pb::CreateShipmentResponse;
        fn mark_delivered(pb::MarkDeliveredRequest) -> pb::MarkDeliveredResponse;
        fn mark_line_allocated(pb::MarkLineAllocatedRequest) -> pb::MarkLineAllocatedResponse;
        fn update_line_eta(pb::UpdateLineEtaRequest) -> pb::UpdateLineEtaResponse;
        fn get_order_timeline(pb::GetOrderTimelineRequest) -> pb::GetOrderTimelineResponse;
        fn get_backorder_stats(pb::GetBackorderStatsRequest) -> pb::GetBackorderStatsResponse;
    }
}

#[cfg(test)]
mod tests {
    use super::day;

    #[test]
    fn civil_dates_from_unix_ms() {
        assert_eq!(day(0), "1970-01-01");
        assert_eq!(day(1_700_000_000_000), "2023-11-14");
        assert_eq!(day(951_782_400_000), "2000-02-29");
    }
}
