//! A stand-in for inventory on a real gRPC port: GetDemandHistory answers
//! from histories the test sets, can be taken down, can hold its answers
//! until several callers have asked (so racing replicas plan from the same
//! state), and records what it was asked. Nothing else is served.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use backorder_proto::inventory::v1 as inv;
use backorder_proto::inventory::v1::inventory_service_server::{
    InventoryService, InventoryServiceServer,
};
use tokio::sync::Barrier;
use tonic::transport::Server;
use tonic::transport::server::TcpIncoming;
use tonic::{Request, Response, Status};

#[derive(Default)]
struct State {
    skus: Mutex<BTreeMap<String, inv::SkuDemandHistory>>,
    requests: Mutex<Vec<inv::GetDemandHistoryRequest>>,
    down: AtomicBool,
    gate: Mutex<Option<Arc<Barrier>>>,
}

#[derive(Clone)]
struct Fake(Arc<State>);

/// The fake, serving until dropped.
pub struct FakeInventory {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    state: Arc<State>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeInventory {
    /// Starts a fake that knows no SKU.
    pub async fn start() -> Self {
        let state = Arc::new(State::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("address"));
        let fake = Fake(state.clone());
        let server = tokio::spawn(async move {
            let _ = Server::builder()
                .add_service(InventoryServiceServer::new(fake))
                .serve_with_incoming(TcpIncoming::from(listener))
                .await;
        });
        Self {
            address,
            state,
            server,
        }
    }

    /// Makes `sku` known with `daily` units per day (oldest first; days
    /// before them count as none), `available` units and `backlog` waiting.
    pub fn set(&self, sku: &str, daily: &[i64], available: i64, backlog: i64) {
        self.state.skus.lock().expect("skus").insert(
            sku.to_owned(),
            inv::SkuDemandHistory {
                sku: sku.to_owned(),
                daily_units: daily.to_vec(),
                available,
                backlog_units: backlog,
            },
        );
    }

    /// Answers UNAVAILABLE from now on.
    pub fn go_down(&self) {
        self.state.down.store(true, Ordering::SeqCst);
    }

    /// From now on each answer waits until `callers` calls are waiting.
    pub fn gate(&self, callers: usize) {
        *self.state.gate.lock().expect("gate") = Some(Arc::new(Barrier::new(callers)));
    }

    /// The GetDemandHistory requests so far.
    pub fn requests(&self) -> Vec<inv::GetDemandHistoryRequest> {
        self.state.requests.lock().expect("requests").clone()
    }
}

impl Drop for FakeInventory {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The last `days` of `daily`, with none before what it holds.
fn window(daily: &[i64], days: i32) -> Vec<i64> {
    let days = usize::try_from(days).expect("days");
    let kept = &daily[daily.len().saturating_sub(days)..];
    let mut window = vec![0; days - kept.len()];
    window.extend_from_slice(kept);
    window
}

fn unimplemented<T>() -> Result<Response<T>, Status> {
    Err(Status::unimplemented("not part of the fake"))
}

#[tonic::async_trait]
impl InventoryService for Fake {
    async fn get_demand_history(
        &self,
        request: Request<inv::GetDemandHistoryRequest>,
    ) -> Result<Response<inv::GetDemandHistoryResponse>, Status> {
        let req = request.into_inner();
        self.0.requests.lock().expect("requests").push(req.clone());
        let gate = self.0.gate.lock().expect("gate").clone();
        if let Some(gate) = gate {
            gate.wait().await;
        }
        if self.0.down.load(Ordering::SeqCst) {
            return Err(Status::unavailable("inventory is down"));
        }
        if req.skus.is_empty() || req.skus.len() > 100 || !(1..=365).contains(&req.days) {
            return Err(Status::invalid_argument("1-100 SKUs and 1-365 days"));
        }
        let known = self.0.skus.lock().expect("skus").clone();
        let skus = req
            .skus
            .iter()
            .filter_map(|sku| known.get(sku))
            .map(|h| inv::SkuDemandHistory {
                daily_units: window(&h.daily_units, req.days),
                ..h.clone()
            })
            .collect();
        Ok(Response::new(inv::GetDemandHistoryResponse { skus }))
    }

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
        _: Request<inv::ReserveOrderRequest>,
    ) -> Result<Response<inv::ReserveOrderResponse>, Status> {
        unimplemented()
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
        unimplemented()
    }
    async fn release_reservation(
        &self,
        _: Request<inv::ReleaseReservationRequest>,
    ) -> Result<Response<inv::ReleaseReservationResponse>, Status> {
        unimplemented()
    }
    async fn list_reservations(
        &self,
        _: Request<inv::ListReservationsRequest>,
    ) -> Result<Response<inv::ListReservationsResponse>, Status> {
        unimplemented()
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
    async fn list_warehouses(
        &self,
        _: Request<inv::ListWarehousesRequest>,
    ) -> Result<Response<inv::ListWarehousesResponse>, Status> {
        unimplemented()
    }
    async fn set_drop_ship(
        &self,
        _: Request<inv::SetDropShipRequest>,
    ) -> Result<Response<inv::SetDropShipResponse>, Status> {
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
        _: Request<inv::ChangeReservationRequest>,
    ) -> Result<Response<inv::ChangeReservationResponse>, Status> {
        unimplemented()
    }
}
