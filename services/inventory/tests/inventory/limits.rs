//! Message size limits: a request larger than `server.max_message_bytes`
//! (4 MiB by default) is refused `RESOURCE_EXHAUSTED` before any work, and
//! the service goes on serving.

use backorder_proto::inventory::v1 as pb;
use tonic::Code;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_over_the_size_limit_is_refused_resource_exhausted_and_serving_goes_on() {
    let service = Inventory::start("inv_limits").await;
    let mut client = service.client();
    let refused = client
        .create_product(pb::CreateProductRequest {
            request_id: rid(),
            sku: "HUGE-1".into(),
            name: "x".repeat(5 * 1024 * 1024),
            backorder_policy: pb::BackorderPolicy::Deny as i32,
            ..Default::default()
        })
        .await
        .expect_err("too large");
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert_eq!(reason(&refused), "MESSAGE_TOO_LARGE");

    // Nothing was created, and the next call is served.
    let missing = client
        .get_product(pb::GetProductRequest {
            sku: "HUGE-1".into(),
        })
        .await
        .expect_err("not created");
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
    product(&mut client, "SMALL-1", pb::BackorderPolicy::Deny, 1).await;
    service.stop().await;
}
