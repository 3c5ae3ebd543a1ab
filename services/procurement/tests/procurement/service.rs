//! The service started in-process on port 0: it migrates, serves, answers
//! in procurement's error domain, runs its replenishment worker and stops
//! (worker included) when asked.

use std::time::{Duration, Instant};

use backorder_platform::ids::new_id_string;
use backorder_platform::server::Shutdown;
use backorder_platform::testing::TestDatabase;
use backorder_proto::procurement::v1 as pb;
use backorder_proto::procurement::v1::procurement_service_client::ProcurementServiceClient;
use tonic::Code;
use tonic::transport::Channel;

use crate::helpers::{CALL_DEADLINE, DRAFT, FakeInventory, call};

fn request<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.set_timeout(CALL_DEADLINE);
    request
}

#[tokio::test]
async fn the_service_starts_on_port_0_serves_and_stops() {
    let database = TestDatabase::fresh("procurement_service")
        .await
        .expect("test database");
    let overrides: Vec<(String, String)> = [
        ("server.host", "127.0.0.1".to_owned()),
        ("server.port", "0".to_owned()),
        ("database.url", database.settings.url.clone()),
        ("peers.order", "http://127.0.0.1:9".to_owned()),
        ("peers.inventory", "http://127.0.0.1:9".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = procurement::Config::load_with(&overrides).expect("config");
    let (stop, shutdown) = Shutdown::channel();
    let running = procurement::build(config, shutdown).await.expect("build");
    assert_ne!(running.port(), 0, "the real port is known");
    let address = format!("http://127.0.0.1:{}", running.port());
    let server = tokio::spawn(running.run_until_stopped());

    let channel = call(Channel::from_shared(address).expect("uri").connect())
        .await
        .expect("connect");
    let mut client = ProcurementServiceClient::new(channel);
    // Migrations run after the listener is up: poll until the tables exist.
    let deadline = Instant::now() + Duration::from_secs(30);
    let created = loop {
        let attempt = call(client.create_supplier(request(pb::CreateSupplierRequest {
            request_id: new_id_string(),
            name: "Acme".to_owned(),
            lead_time_days: 2,
        })))
        .await;
        match attempt {
            Ok(response) => break response.into_inner(),
            Err(status) if Instant::now() < deadline => {
                assert_ne!(status.code(), Code::InvalidArgument, "{status:?}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => panic!("never served: {status:?}"),
        }
    };
    let id = created.supplier.expect("supplier").id;
    let found = call(client.get_supplier(request(pb::GetSupplierRequest { supplier_id: id })))
        .await
        .expect("get");
    assert_eq!(found.into_inner().supplier.expect("supplier").name, "Acme");
    let missing = call(client.get_supplier(request(pb::GetSupplierRequest {
        supplier_id: new_id_string(),
    })))
    .await
    .expect_err("unknown supplier");
    assert_eq!(missing.code(), Code::NotFound);

    stop.stop();
    call(server)
        .await
        .expect("server task")
        .expect("stopped cleanly");
}

#[tokio::test]
async fn the_worker_replenishes_while_the_service_runs_and_stops_with_it() {
    let inventory = FakeInventory::start().await;
    inventory.set("SKU-W", &[4; 7], 0, 0);
    let database = TestDatabase::fresh("procurement_worker")
        .await
        .expect("test database");
    let overrides: Vec<(String, String)> = [
        ("server.host", "127.0.0.1".to_owned()),
        ("server.port", "0".to_owned()),
        ("server.drain_seconds", "0".to_owned()),
        ("database.url", database.settings.url.clone()),
        ("peers.order", "http://127.0.0.1:9".to_owned()),
        ("peers.inventory", inventory.address.clone()),
        ("replenishment.interval_seconds", "1".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let config = procurement::Config::load_with(&overrides).expect("config");
    assert_eq!(config.replenishment.interval_seconds, 1);
    let (stop, shutdown) = Shutdown::channel();
    let running = procurement::build(config, shutdown).await.expect("build");
    let address = format!("http://127.0.0.1:{}", running.port());
    let server = tokio::spawn(running.run_until_stopped());
    let channel = call(Channel::from_shared(address).expect("uri").connect())
        .await
        .expect("connect");
    let mut client = ProcurementServiceClient::new(channel);

    let deadline = Instant::now() + Duration::from_secs(30);
    let supplier = loop {
        let attempt = call(client.create_supplier(request(pb::CreateSupplierRequest {
            request_id: new_id_string(),
            name: "Acme".to_owned(),
            lead_time_days: 3,
        })))
        .await;
        match attempt {
            Ok(response) => break response.into_inner().supplier.expect("supplier").id,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => panic!("never served: {status:?}"),
        }
    };
    // The supplier's tables may exist before the last migration ran (on
    // SQLite each migration commits on its own): poll this too, as it
    // reports to the newest table.
    let item = pb::SetSupplierItemRequest {
        request_id: new_id_string(),
        supplier_id: supplier.clone(),
        sku: "SKU-W".to_owned(),
        unit_cost_minor: 5,
        minimum_order_quantity: 1,
        case_pack: 10,
        preferred: true,
        drop_ship: false,
    };
    loop {
        match call(client.set_supplier_item(request(item.clone()))).await {
            Ok(_) => break,
            Err(status) if status.code() == Code::Internal && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(status) => panic!("item: {status:?}"),
        }
    }
    call(
        client.set_replenishment_policy(request(pb::SetReplenishmentPolicyRequest {
            request_id: new_id_string(),
            policy: Some(pb::ReplenishmentPolicy {
                sku: "SKU-W".to_owned(),
                enabled: true,
                service_level_percent: 50.0,
                history_days: 7,
            }),
        })),
    )
    .await
    .expect("policy");

    // Mean 4, L = 3: ROP 12, nothing on hand: 24 units, in cases of 10.
    let line = loop {
        let drafts = call(
            client.list_purchase_orders(request(pb::ListPurchaseOrdersRequest {
                supplier_id: supplier.clone(),
                status: DRAFT,
                page_size: 10,
                page_token: String::new(),
            })),
        )
        .await
        .expect("list")
        .into_inner()
        .purchase_orders;
        if let Some(line) = drafts.iter().flat_map(|po| &po.lines).next() {
            break line.clone();
        }
        assert!(Instant::now() < deadline, "the worker never replenished");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!((line.demand_quantity, line.ordered_quantity), (24, 30));
    let plan = call(
        client.get_replenishment_plan(request(pb::GetReplenishmentPlanRequest {
            sku: "SKU-W".to_owned(),
        })),
    )
    .await
    .expect("plan")
    .into_inner();
    assert_eq!((plan.reorder_point, plan.on_order), (12, 30));
    assert!(!plan.open_demand_id.is_empty());

    stop.stop();
    call(server)
        .await
        .expect("server task")
        .expect("stopped cleanly, the worker with it");
}
