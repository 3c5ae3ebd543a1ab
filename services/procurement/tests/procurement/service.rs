//! The service started in-process on port 0: it migrates, serves, answers
//! in procurement's error domain and stops when asked.

use std::time::{Duration, Instant};

use backorder_platform::ids::new_id_string;
use backorder_platform::server::Shutdown;
use backorder_platform::testing::TestDatabase;
use backorder_proto::procurement::v1 as pb;
use backorder_proto::procurement::v1::procurement_service_client::ProcurementServiceClient;
use tonic::Code;
use tonic::transport::Channel;

use crate::helpers::{CALL_DEADLINE, call};

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
