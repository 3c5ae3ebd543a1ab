//! A stand-in for inventory and notification on a real gRPC port: its
//! ReserveOrder answers as each test scripts it (delays, outages, refusals
//! in a chosen order), drop-ships the lines of chosen SKUs as inventory
//! does, and it records what it was asked, reserved, released and told, so
//! tests can check that order agrees with it.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use backorder_proto::inventory::v1 as inv;
use backorder_proto::inventory::v1::inventory_service_server::{
    InventoryService, InventoryServiceServer,
};
use backorder_proto::notification::v1 as notif;
use backorder_proto::notification::v1::notification_service_server::{
    NotificationService, NotificationServiceServer,
};
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

/// What ReserveOrder answers.
pub type Reply = Result<inv::ReserveOrderResponse, Status>;
/// A scripted ReserveOrder: the request and its call number (from 0).
pub type Script = Arc<
    dyn Fn(inv::ReserveOrderRequest, usize) -> Pin<Box<dyn Future<Output = Reply> + Send>>
        + Send
        + Sync,
>;

/// What ChangeReservation answers.
pub type ChangeReply = Result<inv::ChangeReservationResponse, Status>;
/// A scripted ChangeReservation.
pub type ChangeScript = Arc<dyn Fn(&inv::ChangeReservationRequest) -> ChangeReply + Send + Sync>;

/// Inventory's answer to a line change when every unit is in stock.
pub fn change_in_stock(req: &inv::ChangeReservationRequest) -> ChangeReply {
    Ok(inv::ChangeReservationResponse {
        line: Some(inv::LineReservation {
            line_id: req.line_id.clone(),
            sku: req.sku.clone(),
            reserved_quantity: req.quantity,
            reservation_id: uuid::Uuid::now_v7().to_string(),
            reserved_from: vec![inv::WarehouseUnits {
                warehouse: "default".to_owned(),
                quantity: req.quantity,
            }],
            ..Default::default()
        }),
    })
}

/// Inventory's answer when every unit is in stock.
pub fn reserve_all(req: &inv::ReserveOrderRequest) -> inv::ReserveOrderResponse {
    inv::ReserveOrderResponse {
        order_id: req.order_id.clone(),
        lines: req
            .lines
            .iter()
            .map(|l| inv::LineReservation {
                line_id: l.line_id.clone(),
                sku: l.sku.clone(),
                reserved_quantity: l.quantity,
                backordered_quantity: 0,
                reservation_id: uuid::Uuid::now_v7().to_string(),
                // As an inventory from before warehouses answers.
                reserved_from: Vec::new(),
                drop_ship_quantity: 0,
                ..Default::default()
            })
            .collect(),
    }
}

/// Inventory's answer with line `i`'s reserved units in the warehouses of
/// `split[i]` (code, units); what they do not hold is backordered.
pub fn reserve_from(
    req: &inv::ReserveOrderRequest,
    split: &[&[(&str, i64)]],
) -> inv::ReserveOrderResponse {
    let mut reply = reserve_all(req);
    for ((line, asked), held) in reply.lines.iter_mut().zip(&req.lines).zip(split) {
        let reserved: i64 = held.iter().map(|(_, units)| units).sum();
        line.reserved_quantity = reserved;
        line.backordered_quantity = asked.quantity - reserved;
        line.reserved_from = held
            .iter()
            .map(|(warehouse, quantity)| inv::WarehouseUnits {
                warehouse: (*warehouse).to_owned(),
                quantity: *quantity,
            })
            .collect();
    }
    reply
}

/// Inventory's answer when nothing is in stock and every unit waits.
pub fn backorder_all(req: &inv::ReserveOrderRequest) -> inv::ReserveOrderResponse {
    let mut reply = reserve_all(req);
    for (line, asked) in reply.lines.iter_mut().zip(&req.lines) {
        line.reserved_quantity = 0;
        line.backordered_quantity = asked.quantity;
    }
    reply
}

/// Inventory's stockout refusal.
pub fn stockout() -> Status {
    Status::failed_precondition("not enough stock and backorders are not allowed")
}

/// Inventory down.
pub fn outage() -> Status {
    Status::unavailable("inventory is down")
}

/// `reply` with every line of a drop-ship SKU in `skus` drop-shipped whole,
/// as inventory answers when the order has a delivery address (without one
/// nothing is drop-shipped).
fn drop_ship_lines(
    req: &inv::ReserveOrderRequest,
    skus: &BTreeSet<String>,
    mut reply: inv::ReserveOrderResponse,
) -> inv::ReserveOrderResponse {
    if req.ship_to_address.is_empty() {
        return reply;
    }
    for (line, asked) in reply.lines.iter_mut().zip(&req.lines) {
        if skus.contains(&asked.sku) {
            line.reserved_quantity = 0;
            line.backordered_quantity = 0;
            line.reserved_from.clear();
            line.drop_ship_quantity = asked.quantity;
        }
    }
    reply
}

/// What the fake saw.
#[derive(Default)]
pub struct Seen {
    /// ReserveOrder calls so far.
    pub reserve_calls: AtomicUsize,
    /// ReserveOrder requests, in the order they came.
    pub reserve_requests: Mutex<Vec<inv::ReserveOrderRequest>>,
    /// Reservations it granted, by order id (the last answer).
    pub reserved: Mutex<BTreeMap<String, inv::ReserveOrderResponse>>,
    /// ReleaseReservation requests.
    pub releases: Mutex<Vec<inv::ReleaseReservationRequest>>,
    /// Notify requests.
    pub notices: Mutex<Vec<notif::NotifyRequest>>,
    /// ChangeReservation requests, in the order they came.
    pub changes: Mutex<Vec<inv::ChangeReservationRequest>>,
    /// ChangeReservation answers given, by request id: a repeat gets the
    /// same, as from inventory.
    pub changed: Mutex<BTreeMap<String, inv::ChangeReservationResponse>>,
}

impl Seen {
    /// Order ids inventory holds a reservation for, minus released ones.
    pub fn reserved_orders(&self) -> Vec<String> {
        let released: Vec<String> = self
            .releases
            .lock()
            .expect("releases")
            .iter()
            .map(|r| r.order_id.clone())
            .collect();
        self.reserved
            .lock()
            .expect("reserved")
            .keys()
            .filter(|id| !released.contains(id))
            .cloned()
            .collect()
    }
}

#[derive(Clone)]
struct Fake {
    seen: Arc<Seen>,
    script: Arc<Mutex<Script>>,
    change_script: Arc<Mutex<ChangeScript>>,
    drop_ship: Arc<Mutex<BTreeSet<String>>>,
}

/// The fake, serving until dropped.
pub struct FakePeers {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// What it saw.
    pub seen: Arc<Seen>,
    script: Arc<Mutex<Script>>,
    change_script: Arc<Mutex<ChangeScript>>,
    drop_ship: Arc<Mutex<BTreeSet<String>>>,
    server: tokio::task::JoinHandle<()>,
}

impl FakePeers {
    /// Starts a fake that reserves everything.
    pub async fn start() -> Self {
        let script: Script = Arc::new(|req, _| Box::pin(async move { Ok(reserve_all(&req)) }));
        let change_script: ChangeScript = Arc::new(change_in_stock);
        let fake = Fake {
            seen: Arc::new(Seen::default()),
            script: Arc::new(Mutex::new(script)),
            change_script: Arc::new(Mutex::new(change_script)),
            drop_ship: Arc::new(Mutex::new(BTreeSet::new())),
        };
        let change_script = fake.change_script.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let (seen, script, drop_ship) = (
            fake.seen.clone(),
            fake.script.clone(),
            fake.drop_ship.clone(),
        );
        let server = tokio::spawn(async move {
            let _ = Server::builder()
                .add_service(InventoryServiceServer::new(fake.clone()))
                .add_service(NotificationServiceServer::new(fake))
                .serve_with_incoming(TcpIncoming::from(listener))
                .await;
        });
        Self {
            address,
            seen,
            script,
            change_script,
            drop_ship,
            server,
        }
    }

    /// Replaces how ChangeReservation answers a request it has not
    /// answered before.
    pub fn script_change<F>(&self, script: F)
    where
        F: Fn(&inv::ChangeReservationRequest) -> ChangeReply + Send + Sync + 'static,
    {
        *self.change_script.lock().expect("change script") = Arc::new(script);
    }

    /// Makes `skus` drop-ship products: their lines in an order with a
    /// delivery address are drop-shipped whole, whatever the script says.
    pub fn drop_ship(&self, skus: &[&str]) {
        self.drop_ship
            .lock()
            .expect("drop-ship skus")
            .extend(skus.iter().map(|sku| (*sku).to_owned()));
    }

    /// Replaces how ReserveOrder answers.
    pub fn script<F, Fut>(&self, script: F)
    where
        F: Fn(inv::ReserveOrderRequest, usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Reply> + Send + 'static,
    {
        let script: Script = Arc::new(move |req, call| Box::pin(script(req, call)));
        *self.script.lock().expect("script") = script;
    }
}

impl Drop for FakePeers {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn unimplemented<T>() -> Result<Response<T>, Status> {
    Err(Status::unimplemented("not part of the fake"))
}

#[tonic::async_trait]
impl InventoryService for Fake {
    async fn create_product(
        &self,
        _: Request<inv::CreateProductRequest>,
    ) -> Result<Response<inv::CreateProductResponse>, Status> {
        unimplemented()
    }
    async fn get_product(
        &self,
        _: Request<inv::GetProductRequest>,
    ) -> Result<Response<inv::GetProductResponse>, Status> {
        unimplemented()
    }
    async fn list_products(
        &self,
        _: Request<inv::ListProductsRequest>,
    ) -> Result<Response<inv::ListProductsResponse>, Status> {
        unimplemented()
    }
    async fn adjust_stock(
        &self,
        _: Request<inv::AdjustStockRequest>,
    ) -> Result<Response<inv::AdjustStockResponse>, Status> {
        unimplemented()
    }
    async fn reserve_order(
        &self,
        request: Request<inv::ReserveOrderRequest>,
    ) -> Result<Response<inv::ReserveOrderResponse>, Status> {
        let req = request.into_inner();
        let call = self.seen.reserve_calls.fetch_add(1, Ordering::SeqCst);
        self.seen
            .reserve_requests
            .lock()
            .expect("reserve requests")
            .push(req.clone());
        let script = self.script.lock().expect("script").clone();
        let order_id = req.order_id.clone();
        let drop_ship = self.drop_ship.lock().expect("drop-ship skus").clone();
        let reply = drop_ship_lines(&req, &drop_ship, script(req.clone(), call).await?);
        self.seen
            .reserved
            .lock()
            .expect("reserved")
            .insert(order_id, reply.clone());
        Ok(Response::new(reply))
    }
    async fn receive_stock(
        &self,
        _: Request<inv::ReceiveStockRequest>,
    ) -> Result<Response<inv::ReceiveStockResponse>, Status> {
        unimplemented()
    }
    async fn issue_stock(
        &self,
        _: Request<inv::IssueStockRequest>,
    ) -> Result<Response<inv::IssueStockResponse>, Status> {
        Ok(Response::new(inv::IssueStockResponse::default()))
    }
    async fn release_reservation(
        &self,
        request: Request<inv::ReleaseReservationRequest>,
    ) -> Result<Response<inv::ReleaseReservationResponse>, Status> {
        self.seen
            .releases
            .lock()
            .expect("releases")
            .push(request.into_inner());
        Ok(Response::new(inv::ReleaseReservationResponse::default()))
    }
    async fn list_reservations(
        &self,
        _: Request<inv::ListReservationsRequest>,
    ) -> Result<Response<inv::ListReservationsResponse>, Status> {
        Ok(Response::new(inv::ListReservationsResponse::default()))
    }
    async fn set_backorder_priority(
        &self,
        _: Request<inv::SetBackorderPriorityRequest>,
    ) -> Result<Response<inv::SetBackorderPriorityResponse>, Status> {
        unimplemented()
    }
    async fn list_backlog(
        &self,
        _: Request<inv::ListBacklogRequest>,
    ) -> Result<Response<inv::ListBacklogResponse>, Status> {
        unimplemented()
    }
    async fn create_warehouse(
        &self,
        _: Request<inv::CreateWarehouseRequest>,
    ) -> Result<Response<inv::CreateWarehouseResponse>, Status> {
        unimplemented()
    }
    async fn set_inbound_supply(
        &self,
        _: Request<inv::SetInboundSupplyRequest>,
    ) -> Result<Response<inv::SetInboundSupplyResponse>, Status> {
        unimplemented()
    }
    async fn change_reservation(
        &self,
        request: Request<inv::ChangeReservationRequest>,
    ) -> Result<Response<inv::ChangeReservationResponse>, Status> {
        let req = request.into_inner();
        self.seen.changes.lock().expect("changes").push(req.clone());
        if let Some(stored) = self
            .seen
            .changed
            .lock()
            .expect("changed")
            .get(&req.request_id)
        {
            return Ok(Response::new(stored.clone()));
        }
        let script = self.change_script.lock().expect("change script").clone();
        let reply = script(&req)?;
        self.seen
            .changed
            .lock()
            .expect("changed")
            .insert(req.request_id.clone(), reply.clone());
        Ok(Response::new(reply))
    }
    async fn list_warehouses(
        &self,
        _: Request<inv::ListWarehousesRequest>,
    ) -> Result<Response<inv::ListWarehousesResponse>, Status> {
        unimplemented()
    }
    async fn get_demand_history(
        &self,
        _: Request<inv::GetDemandHistoryRequest>,
    ) -> Result<Response<inv::GetDemandHistoryResponse>, Status> {
        unimplemented()
    }
    async fn set_drop_ship(
        &self,
        _: Request<inv::SetDropShipRequest>,
    ) -> Result<Response<inv::SetDropShipResponse>, Status> {
        unimplemented()
    }
}

#[tonic::async_trait]
impl NotificationService for Fake {
    async fn upsert_customer(
        &self,
        _: Request<notif::UpsertCustomerRequest>,
    ) -> Result<Response<notif::UpsertCustomerResponse>, Status> {
        unimplemented()
    }
    async fn get_customer(
        &self,
        _: Request<notif::GetCustomerRequest>,
    ) -> Result<Response<notif::GetCustomerResponse>, Status> {
        unimplemented()
    }
    async fn notify(
        &self,
        request: Request<notif::NotifyRequest>,
    ) -> Result<Response<notif::NotifyResponse>, Status> {
        self.seen
            .notices
            .lock()
            .expect("notices")
            .push(request.into_inner());
        Ok(Response::new(notif::NotifyResponse::default()))
    }
    async fn list_notifications(
        &self,
        _: Request<notif::ListNotificationsRequest>,
    ) -> Result<Response<notif::ListNotificationsResponse>, Status> {
        Ok(Response::new(notif::ListNotificationsResponse::default()))
    }
}
