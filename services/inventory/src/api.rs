//! gRPC handlers: validate and map requests, run each change in one
//! transaction (with its idempotency record and outbox messages), map
//! results back. The rules themselves live in [`crate::domain`].

use std::collections::{BTreeMap, BTreeSet, HashSet};

use backorder_platform::error::PreconditionViolation;
use backorder_platform::idempotency::IdempotencyKey;
use backorder_platform::ids::{Violations, new_id_string, parse_uuid};
use backorder_platform::outbox::{Envelope, enqueue};
use backorder_platform::paging::PageRequest;
use backorder_platform::service::ServiceContext;
use backorder_platform::telemetry::{continue_stored_trace, current_traceparent, traceparent_of};
use backorder_platform::time::{now_ms, to_timestamp};
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::inventory::v1 as pb;
use backorder_proto::inventory::v1::inventory_service_server::InventoryService;
use backorder_proto::order::v1::MarkLineAllocatedRequest;
use backorder_proto::procurement::v1::{AddDemandRequest, ReleaseDemandRequest};
use sea_orm::ConnectionTrait;
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use crate::domain::{self, BackorderPolicy, ReservationState, StockPosition, Waiting};
use crate::store::queries::{self, QueueKey};
use crate::store::{product, reservation, stock_level};

const ADD_DEMAND: &str = "/backorder.procurement.v1.ProcurementService/AddDemand";
const RELEASE_DEMAND: &str = "/backorder.procurement.v1.ProcurementService/ReleaseDemand";
const MARK_LINE_ALLOCATED: &str = "/backorder.order.v1.OrderService/MarkLineAllocated";

/// Most lines one order may have.
const MAX_LINES: usize = 200;
/// Waiting lines read per round while allocating.
const QUEUE_CHUNK: u64 = 100;

/// The inventory gRPC service.
#[derive(Clone)]
pub struct InventoryApi {
    context: ServiceContext,
}

impl InventoryApi {
    /// Serves from the service's database.
    pub fn new(context: ServiceContext) -> Self {
        Self { context }
    }
}

fn position(stock: &stock_level::Model) -> StockPosition {
    StockPosition {
        on_hand: stock.on_hand,
        reserved: stock.reserved,
        backordered: stock.backordered,
    }
}

fn stock_to_proto(warehouse: &str, p: StockPosition) -> pb::StockLevel {
    pb::StockLevel {
        warehouse: warehouse.to_owned(),
        on_hand: p.on_hand,
        reserved: p.reserved,
        available: p.available(),
        backordered: p.backordered,
    }
}

fn product_to_proto(product: &product::Model, stock: Option<&stock_level::Model>) -> pb::Product {
    pb::Product {
        sku: product.sku.clone(),
        name: product.name.clone(),
        backorder_policy: product.backorder_policy,
        backorder_cap: product.backorder_cap,
        stock: Some(match stock {
            Some(s) => stock_to_proto(&s.warehouse, position(s)),
            None => stock_to_proto(queries::DEFAULT_WAREHOUSE, StockPosition::default()),
        }),
        create_time: Some(to_timestamp(product.created_at)),
    }
}

fn reservation_to_proto(r: &reservation::Model) -> pb::Reservation {
    pb::Reservation {
        id: r.id.clone(),
        order_id: r.order_id.clone(),
        line_id: r.line_id.clone(),
        sku: r.sku.clone(),
        quantity: r.quantity,
        reserved_quantity: r.reserved_quantity,
        waiting_quantity: r.waiting_quantity,
        state: r.state,
        create_time: Some(to_timestamp(r.created_at)),
        update_time: Some(to_timestamp(r.updated_at)),
        priority: r.priority,
        priority_reason: r.priority_reason.clone(),
    }
}

/// The product as it stands after a stock movement inside `conn`.
async fn product_after_move<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    stock: StockPosition,
) -> ServiceResult<pb::Product> {
    let product = queries::find_product(conn, sku)
        .await?
        .ok_or_else(|| product_not_found(sku))?;
    let mut product = product_to_proto(&product, None);
    product.stock = Some(stock_to_proto(queries::DEFAULT_WAREHOUSE, stock));
    Ok(product)
}

fn validate_sku(violations: &mut Violations, field: &str, sku: &str) {
    if sku.is_empty() {
        violations.add(field, "is required");
    } else if sku.len() > 64 || sku.chars().any(char::is_whitespace) {
        violations.add(field, "must be 1-64 characters without spaces");
    }
}

fn require_sku(sku: &str) -> ServiceResult<()> {
    let mut v = Violations::new();
    validate_sku(&mut v, "sku", sku);
    v.finish()
}

fn product_not_found(sku: &str) -> ServiceError {
    ServiceError::not_found("product", sku)
}

/// Gives free stock of `sku` to its waiting lines, oldest first, and tells
/// the order service about every line that is now complete. Each filled line
/// gets a short span in its sale's trace, linked to the current (receipt)
/// span, which in turn links to every sale it served.
async fn allocate_waiting<C: ConnectionTrait>(
    conn: &C,
    sku: &str,
    stock: &mut StockPosition,
    reference: &str,
) -> ServiceResult<(Vec<pb::Allocation>, bool)> {
    let mut allocations = Vec::new();
    let mut enqueued = false;
    let mut after: Option<QueueKey> = None;
    let batch_span = tracing::Span::current();
    while stock.available() > 0 {
        let queue = queries::waiting_queue(conn, sku, after.as_ref(), QUEUE_CHUNK).await?;
        let Some(last) = queue.last() else { break };
        after = Some(QueueKey::of(last));
        let waiting: Vec<Waiting> = queue
            .iter()
            .map(|r| Waiting {
                id: r.id.clone(),
                waiting: r.waiting_quantity,
            })
            .collect();
        let grants = domain::allocate(stock, &waiting);
        let by_id: BTreeMap<&str, &reservation::Model> =
            queue.iter().map(|r| (r.id.as_str(), r)).collect();
        for grant in grants {
            let Some(line) = by_id.get(grant.id.as_str()) else {
                continue;
            };
            let line_span = tracing::info_span!(
                "inventory.allocate_line",
                otel.name = "allocate stock to backordered line",
                order.id = %line.order_id,
                order.line_id = %line.line_id,
                sku = %line.sku,
                quantity = grant.quantity,
                complete = grant.complete,
            );
            continue_stored_trace(&line_span, line.trace_context.as_deref(), &batch_span);
            let trace = traceparent_of(&line_span.context());
            let line_work = async {
                let mut updated = (*line).clone();
                updated.reserved_quantity += grant.quantity;
                updated.waiting_quantity -= grant.quantity;
                updated.state = ReservationState::open(updated.waiting_quantity).code();
                queries::update_reservation(conn, &updated).await?;
                queries::record_movement(
                    conn,
                    sku,
                    "allocate",
                    0,
                    grant.quantity,
                    &line.order_id,
                    reference,
                )
                .await?;
                if grant.complete {
                    let id = new_id_string();
                    let message = MarkLineAllocatedRequest {
                        request_id: id.clone(),
                        order_id: line.order_id.clone(),
                        line_id: line.line_id.clone(),
                    };
                    enqueue(
                        conn,
                        Envelope::new(id, "order", MARK_LINE_ALLOCATED, &message)
                            .in_trace(trace.clone()),
                    )
                    .await?;
                    // The shortage is gone, whatever filled it (a receipt, a
                    // count correction, stock another line gave back): its
                    // demand closes, so a draft purchase order never buys
                    // units nobody waits for.
                    let id = new_id_string();
                    let close = ReleaseDemandRequest {
                        request_id: id.clone(),
                        demand_id: line.id.clone(),
                    };
                    enqueue(
                        conn,
                        Envelope::new(id, "procurement", RELEASE_DEMAND, &close).in_trace(trace),
                    )
                    .await?;
                }
                Ok::<bool, ServiceError>(grant.complete)
            }
            .instrument(line_span)
            .await?;
            enqueued |= line_work;
            allocations.push(pb::Allocation {
                order_id: line.order_id.clone(),
                line_id: line.line_id.clone(),
                quantity: grant.quantity,
                line_complete: grant.complete,
            });
        }
        if (queue.len() as u64) < QUEUE_CHUNK {
            break;
        }
    }
    Ok((allocations, enqueued))
}

impl InventoryApi {
    /// The `CreateProduct` RPC.
    pub async fn create_product(
        &self,
        req: pb::CreateProductRequest,
    ) -> ServiceResult<pb::CreateProductResponse> {
        let mut v = Violations::new();
        validate_sku(&mut v, "sku", &req.sku);
        v.text("name", &req.name, 200);
        let policy = match req.backorder_policy {
            1 | 2 if req.backorder_cap != 0 => {
                v.add(
                    "backorder_cap",
                    "is only allowed with BACKORDER_POLICY_CAPPED",
                );
                None
            }
            3 if req.backorder_cap < 1 => {
                v.add(
                    "backorder_cap",
                    "must be at least 1 with BACKORDER_POLICY_CAPPED",
                );
                None
            }
            code => {
                let policy = BackorderPolicy::from_parts(code, req.backorder_cap);
                if policy.is_none() {
                    v.add("backorder_policy", "must be ALLOW, DENY or CAPPED");
                }
                policy
            }
        };
        v.finish()?;
        let key = IdempotencyKey::new("CreateProduct", &req.request_id, &req)?;
        let Some(policy) = policy else {
            return Err(ServiceError::invalid(
                "backorder_policy",
                "must be ALLOW, DENY or CAPPED",
            ));
        };
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        if queries::find_product(&txn, &req.sku).await?.is_some() {
            return Err(ServiceError::AlreadyExists {
                reason: "SKU_EXISTS",
                message: format!("product {} already exists", req.sku),
            });
        }
        let model = product::Model {
            sku: req.sku.clone(),
            name: req.name.trim().to_owned(),
            backorder_policy: policy.code(),
            backorder_cap: policy.cap(),
            created_at: now_ms(),
        };
        let stock = queries::insert_product(&txn, model.clone()).await?;
        let response = pb::CreateProductResponse {
            product: Some(product_to_proto(&model, Some(&stock))),
        };
        key.save(&txn, &req.sku, &response).await?;
        self.context.commit(txn, false).await?;
        Ok(response)
    }

    /// The `GetProduct` RPC.
    pub async fn get_product(
        &self,
        req: pb::GetProductRequest,
    ) -> ServiceResult<pb::GetProductResponse> {
        require_sku(&req.sku)?;
        let db = &self.context.db;
        let product = queries::find_product(db, &req.sku)
            .await?
            .ok_or_else(|| product_not_found(&req.sku))?;
        let stock = queries::find_stock(db, &req.sku).await?;
        Ok(pb::GetProductResponse {
            product: Some(product_to_proto(&product, stock.as_ref())),
        })
    }

    /// The `ListProducts` RPC.
    pub async fn list_products(
        &self,
        req: pb::ListProductsRequest,
    ) -> ServiceResult<pb::ListProductsResponse> {
        let page = PageRequest::parse(req.page_size, &req.page_token)?;
        let db = &self.context.db;
        let rows = queries::list_products(db, page.after.as_deref(), page.fetch_limit()).await?;
        let (rows, next_page_token) = page.finish(rows, |p| p.sku.clone());
        let stocks = queries::find_stocks(db, rows.iter().map(|p| p.sku.clone()).collect()).await?;
        let stocks: BTreeMap<&str, &stock_level::Model> =
            stocks.iter().map(|s| (s.sku.as_str(), s)).collect();
        let products = rows
            .iter()
            .map(|p| product_to_proto(p, stocks.get(p.sku.as_str()).copied()))
            .collect();
        Ok(pb::ListProductsResponse {
            products,
            next_page_token,
        })
    }

    /// The `AdjustStock` RPC.
    pub async fn adjust_stock(
        &self,
        req: pb::AdjustStockRequest,
    ) -> ServiceResult<pb::AdjustStockResponse> {
        let mut v = Violations::new();
        validate_sku(&mut v, "sku", &req.sku);
        if req.delta == 0 {
            v.add(
                "delta",
                "must not be zero: positive adds stock, negative removes it",
            );
        }
        v.text("reason", &req.reason, 500);
        v.finish()?;
        let key = IdempotencyKey::new("AdjustStock", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let stock_row = queries::lock_stock(&txn, &req.sku)
            .await?
            .ok_or_else(|| product_not_found(&req.sku))?;
        let mut stock = position(&stock_row);
        domain::adjust(&mut stock, req.delta).map_err(|refusal| match refusal {
            domain::StockRefusal::BelowReserved { on_hand_after, reserved } => ServiceError::precondition(
                "BELOW_RESERVED",
                format!(
                    "removing {} would leave {on_hand_after} on hand but {reserved} are reserved; cancel reservations first",
                    -req.delta
                ),
            ),
        })?;
        queries::record_movement(
            &txn,
            &req.sku,
            "adjust",
            req.delta,
            0,
            key.request_id(),
            &req.reason,
        )
        .await?;
        let (allocations, enqueued) = if req.delta > 0 {
            allocate_waiting(&txn, &req.sku, &mut stock, key.request_id()).await?
        } else {
            (Vec::new(), false)
        };
        queries::save_stock(&txn, &req.sku, stock).await?;
        let product = product_after_move(&txn, &req.sku, stock).await?;
        let response = pb::AdjustStockResponse {
            product: Some(product),
            allocations,
        };
        key.save(&txn, &req.sku, &response).await?;
        self.context.commit(txn, enqueued).await?;
        Ok(response)
    }

    /// The `ReserveOrder` RPC.
    pub async fn reserve_order(
        &self,
        req: pb::ReserveOrderRequest,
    ) -> ServiceResult<pb::ReserveOrderResponse> {
        let mut v = Violations::new();
        v.uuid("order_id", &req.order_id);
        if req.lines.is_empty() {
            v.add("lines", "must have at least one line");
        } else if req.lines.len() > MAX_LINES {
            v.add("lines", format!("must have at most {MAX_LINES} lines"));
        }
        let mut line_ids = HashSet::new();
        for (i, line) in req.lines.iter().enumerate() {
            if v.uuid(&format!("lines[{i}].line_id"), &line.line_id)
                .is_some()
                && !line_ids.insert(line.line_id.as_str())
            {
                v.add(format!("lines[{i}].line_id"), "repeats an earlier line id");
            }
            validate_sku(&mut v, &format!("lines[{i}].sku"), &line.sku);
            if line.quantity < 1 {
                v.add(format!("lines[{i}].quantity"), "must be at least 1");
            }
        }
        v.finish()?;
        let key = IdempotencyKey::new("ReserveOrder", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        // Lock every SKU's stock row in SKU order: no deadlocks between orders.
        let skus: BTreeSet<&str> = req.lines.iter().map(|l| l.sku.as_str()).collect();
        let mut stocks: BTreeMap<&str, StockPosition> = BTreeMap::new();
        let mut policies: BTreeMap<&str, BackorderPolicy> = BTreeMap::new();
        for sku in &skus {
            let stock = queries::lock_stock(&txn, sku)
                .await?
                .ok_or_else(|| product_not_found(sku))?;
            let product = queries::find_product(&txn, sku)
                .await?
                .ok_or_else(|| product_not_found(sku))?;
            let policy =
                BackorderPolicy::from_parts(product.backorder_policy, product.backorder_cap)
                    .ok_or_else(|| {
                        ServiceError::Internal(format!("product {sku} has an unknown policy"))
                    })?;
            stocks.insert(sku, position(&stock));
            policies.insert(sku, policy);
        }
        let mut outcomes = Vec::with_capacity(req.lines.len());
        let mut refusals = Vec::new();
        for (i, line) in req.lines.iter().enumerate() {
            let (Some(stock), Some(policy)) = (
                stocks.get_mut(line.sku.as_str()),
                policies.get(line.sku.as_str()),
            ) else {
                return Err(product_not_found(&line.sku));
            };
            match domain::reserve_line(line.quantity, stock, *policy, req.accept_backorders) {
                Ok(outcome) => outcomes.push(outcome),
                Err(refusal) => refusals.push(PreconditionViolation {
                    kind: "STOCKOUT".to_owned(),
                    subject: format!("lines[{i}] sku:{}", line.sku),
                    description: refusal.describe(&line.sku),
                }),
            }
        }
        if !refusals.is_empty() {
            let message = format!(
                "order refused, nothing reserved: {}",
                refusals
                    .iter()
                    .map(|r| r.description.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            return Err(ServiceError::FailedPrecondition {
                reason: "STOCKOUT",
                message,
                violations: refusals,
            });
        }
        let now = now_ms();
        let trace_context = current_traceparent();
        let mut lines = Vec::with_capacity(req.lines.len());
        let mut enqueued = false;
        for (line, outcome) in req.lines.iter().zip(outcomes) {
            let reservation_id = new_id_string();
            queries::insert_reservation(
                &txn,
                reservation::Model {
                    id: reservation_id.clone(),
                    order_id: req.order_id.clone(),
                    line_id: line.line_id.clone(),
                    sku: line.sku.clone(),
                    warehouse: queries::DEFAULT_WAREHOUSE.to_owned(),
                    quantity: line.quantity,
                    reserved_quantity: outcome.reserved,
                    waiting_quantity: outcome.backordered,
                    state: ReservationState::open(outcome.backordered).code(),
                    priority: 0,
                    priority_reason: String::new(),
                    trace_context: trace_context.clone(),
                    created_at: now,
                    updated_at: now,
                },
            )
            .await?;
            if outcome.reserved > 0 {
                queries::record_movement(
                    &txn,
                    &line.sku,
                    "reserve",
                    0,
                    outcome.reserved,
                    &req.order_id,
                    "order placed",
                )
                .await?;
            }
            if outcome.backordered > 0 {
                let id = new_id_string();
                let demand = AddDemandRequest {
                    request_id: id.clone(),
                    demand_id: reservation_id.clone(),
                    sku: line.sku.clone(),
                    quantity: outcome.backordered,
                    order_id: req.order_id.clone(),
                    line_id: line.line_id.clone(),
                };
                enqueue(&txn, Envelope::new(id, "procurement", ADD_DEMAND, &demand)).await?;
                enqueued = true;
            }
            lines.push(pb::LineReservation {
                line_id: line.line_id.clone(),
                sku: line.sku.clone(),
                reserved_quantity: outcome.reserved,
                backordered_quantity: outcome.backordered,
                reservation_id,
            });
        }
        for (sku, stock) in &stocks {
            queries::save_stock(&txn, sku, *stock).await?;
        }
        let response = pb::ReserveOrderResponse {
            order_id: req.order_id.clone(),
            lines,
        };
        key.save(&txn, &req.order_id, &response).await?;
        self.context.commit(txn, enqueued).await?;
        Ok(response)
    }

    /// The `ReceiveStock` RPC.
    pub async fn receive_stock(
        &self,
        req: pb::ReceiveStockRequest,
    ) -> ServiceResult<pb::ReceiveStockResponse> {
        let mut v = Violations::new();
        validate_sku(&mut v, "sku", &req.sku);
        if req.quantity < 1 {
            v.add("quantity", "must be at least 1");
        }
        if !req.purchase_order_id.is_empty() {
            v.uuid("purchase_order_id", &req.purchase_order_id);
        }
        v.finish()?;
        let key = IdempotencyKey::new("ReceiveStock", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let stock_row = queries::lock_stock(&txn, &req.sku)
            .await?
            .ok_or_else(|| product_not_found(&req.sku))?;
        let mut stock = position(&stock_row);
        stock.on_hand += req.quantity;
        let reference = if req.purchase_order_id.is_empty() {
            key.request_id().to_owned()
        } else {
            req.purchase_order_id.clone()
        };
        queries::record_movement(
            &txn,
            &req.sku,
            "receive",
            req.quantity,
            0,
            &reference,
            "goods received",
        )
        .await?;
        let (allocations, enqueued) =
            allocate_waiting(&txn, &req.sku, &mut stock, &reference).await?;
        queries::save_stock(&txn, &req.sku, stock).await?;
        let product = product_after_move(&txn, &req.sku, stock).await?;
        let response = pb::ReceiveStockResponse {
            product: Some(product),
            allocations,
        };
        key.save(&txn, &req.sku, &response).await?;
        self.context.commit(txn, enqueued).await?;
        Ok(response)
    }

    /// The `IssueStock` RPC.
    pub async fn issue_stock(
        &self,
        req: pb::IssueStockRequest,
    ) -> ServiceResult<pb::IssueStockResponse> {
        let mut v = Violations::new();
        v.uuid("order_id", &req.order_id);
        v.uuid("shipment_id", &req.shipment_id);
        if req.line_ids.is_empty() {
            v.add("line_ids", "must name at least one line");
        }
        for (i, id) in req.line_ids.iter().enumerate() {
            v.uuid(&format!("line_ids[{i}]"), id);
        }
        v.finish()?;
        let key = IdempotencyKey::new("IssueStock", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let mut lines = Vec::new();
        for line_id in &req.line_ids {
            let line = queries::find_reservation(&txn, &req.order_id, line_id)
                .await?
                .ok_or_else(|| {
                    ServiceError::not_found("reservation", format!("{}/{line_id}", req.order_id))
                })?;
            match ReservationState::from_code(line.state) {
                Some(ReservationState::Allocated) => lines.push(line),
                Some(ReservationState::Issued) => {}
                Some(ReservationState::Waiting) => {
                    return Err(ServiceError::precondition(
                        "LINE_NOT_ALLOCATED",
                        format!(
                            "line {line_id} still waits for {} units",
                            line.waiting_quantity
                        ),
                    ));
                }
                _ => {
                    return Err(ServiceError::precondition(
                        "LINE_RELEASED",
                        format!("line {line_id} was cancelled"),
                    ));
                }
            }
        }
        lines.sort_by(|a, b| a.sku.cmp(&b.sku));
        let mut issued_quantity = 0;
        for mut line in lines {
            let stock_row = queries::lock_stock(&txn, &line.sku)
                .await?
                .ok_or_else(|| product_not_found(&line.sku))?;
            let mut stock = position(&stock_row);
            stock.on_hand -= line.reserved_quantity;
            stock.reserved -= line.reserved_quantity;
            queries::save_stock(&txn, &line.sku, stock).await?;
            queries::record_movement(
                &txn,
                &line.sku,
                "issue",
                -line.reserved_quantity,
                -line.reserved_quantity,
                &req.shipment_id,
                "shipped",
            )
            .await?;
            issued_quantity += line.reserved_quantity;
            line.state = ReservationState::Issued.code();
            queries::update_reservation(&txn, &line).await?;
        }
        let response = pb::IssueStockResponse { issued_quantity };
        key.save(&txn, &req.order_id, &response).await?;
        self.context.commit(txn, false).await?;
        Ok(response)
    }

    /// The `ReleaseReservation` RPC.
    pub async fn release_reservation(
        &self,
        req: pb::ReleaseReservationRequest,
    ) -> ServiceResult<pb::ReleaseReservationResponse> {
        let mut v = Violations::new();
        v.uuid("order_id", &req.order_id);
        v.uuid("line_id", &req.line_id);
        v.finish()?;
        let key = IdempotencyKey::new("ReleaseReservation", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let found = queries::find_reservation(&txn, &req.order_id, &req.line_id)
            .await?
            .ok_or_else(|| {
                ServiceError::not_found("reservation", format!("{}/{}", req.order_id, req.line_id))
            })?;
        // Lock first, then re-read: the row may have changed meanwhile.
        let stock_row = queries::lock_stock(&txn, &found.sku)
            .await?
            .ok_or_else(|| product_not_found(&found.sku))?;
        let mut line = queries::find_reservation(&txn, &req.order_id, &req.line_id)
            .await?
            .unwrap_or(found);
        let mut enqueued = false;
        let response = match ReservationState::from_code(line.state) {
            Some(ReservationState::Issued) => {
                return Err(ServiceError::precondition(
                    "LINE_SHIPPED",
                    format!(
                        "line {} already shipped; it cannot be released",
                        req.line_id
                    ),
                ));
            }
            Some(ReservationState::Released) => pb::ReleaseReservationResponse::default(),
            _ => {
                let mut stock = position(&stock_row);
                let released = pb::ReleaseReservationResponse {
                    released_reserved: line.reserved_quantity,
                    released_waiting: line.waiting_quantity,
                };
                stock.reserved -= line.reserved_quantity;
                stock.backordered -= line.waiting_quantity;
                line.state = ReservationState::Released.code();
                queries::update_reservation(&txn, &line).await?;
                queries::record_movement(
                    &txn,
                    &line.sku,
                    "release",
                    0,
                    -line.reserved_quantity,
                    &req.order_id,
                    "line cancelled",
                )
                .await?;
                if line.waiting_quantity > 0 {
                    let id = new_id_string();
                    let message = ReleaseDemandRequest {
                        request_id: id.clone(),
                        demand_id: line.id.clone(),
                    };
                    enqueue(
                        &txn,
                        Envelope::new(id, "procurement", RELEASE_DEMAND, &message),
                    )
                    .await?;
                    enqueued = true;
                }
                if line.reserved_quantity > 0 {
                    let (_, allocated) =
                        allocate_waiting(&txn, &line.sku, &mut stock, &req.order_id).await?;
                    enqueued |= allocated;
                }
                queries::save_stock(&txn, &line.sku, stock).await?;
                released
            }
        };
        key.save(&txn, &req.order_id, &response).await?;
        self.context.commit(txn, enqueued).await?;
        Ok(response)
    }

    /// The `ListReservations` RPC.
    pub async fn list_reservations(
        &self,
        req: pb::ListReservationsRequest,
    ) -> ServiceResult<pb::ListReservationsResponse> {
        let page = PageRequest::parse(req.page_size, &req.page_token)?;
        let db = &self.context.db;
        let (reservations, next_page_token) = match (req.order_id.is_empty(), req.sku.is_empty()) {
            (false, true) => {
                parse_uuid("order_id", &req.order_id)?;
                let rows = queries::reservations_of_order(
                    db,
                    &req.order_id,
                    page.after.as_deref(),
                    page.fetch_limit(),
                )
                .await?;
                page.finish(rows, |r| r.id.clone())
            }
            (true, false) => {
                require_sku(&req.sku)?;
                let after = match &page.after {
                    Some(text) => Some(QueueKey::decode(text).ok_or_else(|| {
                        ServiceError::invalid("page_token", "is not a token of this queue")
                    })?),
                    None => None,
                };
                let rows = queries::waiting_queue(db, &req.sku, after.as_ref(), page.fetch_limit())
                    .await?;
                page.finish(rows, |r| QueueKey::of(r).encode())
            }
            _ => {
                return Err(ServiceError::invalid(
                    "order_id",
                    "set exactly one of order_id (an order's reservations) or sku (a SKU's waiting queue)",
                ));
            }
        };
        Ok(pb::ListReservationsResponse {
            reservations: reservations.iter().map(reservation_to_proto).collect(),
            next_page_token,
        })
    }

    /// The `SetBackorderPriority` RPC.
    pub async fn set_backorder_priority(
        &self,
        req: pb::SetBackorderPriorityRequest,
    ) -> ServiceResult<pb::SetBackorderPriorityResponse> {
        let mut v = Violations::new();
        v.uuid("order_id", &req.order_id);
        v.uuid("line_id", &req.line_id);
        if !domain::valid_priority(req.priority) {
            v.add(
                "priority",
                format!(
                    "must be between 0 (first come, first served) and {}",
                    domain::MAX_PRIORITY
                ),
            );
        }
        v.text("reason", &req.reason, 200);
        v.finish()?;
        let key = IdempotencyKey::new("SetBackorderPriority", &req.request_id, &req)?;
        let txn = self.context.begin().await?;
        if let Some(done) = key.replay(&txn).await? {
            return Ok(done);
        }
        let not_found =
            || ServiceError::not_found("reservation", format!("{}/{}", req.order_id, req.line_id));
        let found = queries::find_reservation(&txn, &req.order_id, &req.line_id)
            .await?
            .ok_or_else(not_found)?;
        // The SKU's stock lock orders this against allocations of the queue.
        queries::lock_stock(&txn, &found.sku)
            .await?
            .ok_or_else(|| product_not_found(&found.sku))?;
        let mut line = queries::find_reservation(&txn, &req.order_id, &req.line_id)
            .await?
            .ok_or_else(not_found)?;
        if ReservationState::from_code(line.state) != Some(ReservationState::Waiting) {
            return Err(ServiceError::precondition(
                "LINE_NOT_WAITING",
                format!(
                    "line {} no longer waits for stock; only waiting lines have a place in the queue",
                    req.line_id
                ),
            ));
        }
        let before = line.priority;
        line.priority = req.priority;
        line.priority_reason = req.reason.trim().to_owned();
        line.updated_at = now_ms();
        queries::update_reservation_priority(&txn, &line).await?;
        queries::record_movement(
            &txn,
            &line.sku,
            "priority",
            0,
            0,
            &req.order_id,
            &format!(
                "line {} priority {} -> {}: {}",
                line.line_id, before, line.priority, line.priority_reason
            ),
        )
        .await?;
        let response = pb::SetBackorderPriorityResponse {
            reservation: Some(reservation_to_proto(&line)),
        };
        key.save(&txn, &req.order_id, &response).await?;
        self.context.commit(txn, false).await?;
        Ok(response)
    }

    /// The `ListBacklog` RPC.
    pub async fn list_backlog(
        &self,
        req: pb::ListBacklogRequest,
    ) -> ServiceResult<pb::ListBacklogResponse> {
        let page = PageRequest::parse(req.page_size, &req.page_token)?;
        let db = &self.context.db;
        let rows = queries::backlog(db, page.after.as_deref(), page.fetch_limit()).await?;
        let (rows, next_page_token) = page.finish(rows, |r| r.sku.clone());
        let totals = queries::backlog_totals(db).await?;
        Ok(pb::ListBacklogResponse {
            entries: rows
                .into_iter()
                .map(|r| pb::BacklogEntry {
                    sku: r.sku,
                    waiting_lines: r.waiting_lines,
                    waiting_units: r.waiting_units,
                    oldest_waiting_since: Some(to_timestamp(r.oldest_waiting_since)),
                })
                .collect(),
            next_page_token,
            total_waiting_lines: totals.waiting_lines,
            total_waiting_units: totals.waiting_units.unwrap_or(0),
            oldest_waiting_since: totals.oldest_waiting_since.map(to_timestamp),
        })
    }
}

backorder_platform::grpc_service! {
    InventoryService => InventoryApi {
        fn create_product(pb::CreateProductRequest) -> pb::CreateProductResponse;
        fn get_product(pb::GetProductRequest) -> pb::GetProductResponse;
        fn list_products(pb::ListProductsRequest) -> pb::ListProductsResponse;
        fn adjust_stock(pb::AdjustStockRequest) -> pb::AdjustStockResponse;
        fn reserve_order(pb::ReserveOrderRequest) -> pb::ReserveOrderResponse;
        fn receive_stock(pb::ReceiveStockRequest) -> pb::ReceiveStockResponse;
        fn issue_stock(pb::IssueStockRequest) -> pb::IssueStockResponse;
        fn release_reservation(pb::ReleaseReservationRequest) -> pb::ReleaseReservationResponse;
        fn list_reservations(pb::ListReservationsRequest) -> pb::ListReservationsResponse;
        fn list_backlog(pb::ListBacklogRequest) -> pb::ListBacklogResponse;
        fn set_backorder_priority(pb::SetBackorderPriorityRequest) -> pb::SetBackorderPriorityResponse;
    }
}
