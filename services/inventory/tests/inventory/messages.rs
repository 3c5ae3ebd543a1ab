//! Messages to other services are written as the request types of the RPCs
//! that receive them: each lands in the outbox addressed to the service
//! and method that serve it, with its id as the receiver's request id.

use backorder_proto::Rpc;
use backorder_proto::inventory::v1 as pb;
use backorder_proto::order::v1::MarkLineAllocatedRequest;
use backorder_proto::procurement::v1::{AddDemandRequest, ReleaseDemandRequest};
use prost::Message;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_are_addressed_by_their_request_type() {
    let service = Inventory::start("inv_messages").await;
    let mut client = service.client();
    product(&mut client, "MSG-1", pb::BackorderPolicy::Allow, 0).await;
    let request = order(&[("MSG-1", 3)]);
    let reserved = client
        .reserve_order(request.clone())
        .await
        .expect("backordered")
        .into_inner();
    let reservation_id = reserved.lines[0].reservation_id.clone();

    let outbox = service.outbox().await;
    assert_eq!(outbox.len(), 1);
    let demand = &outbox[0];
    assert_eq!(demand.destination, "procurement");
    assert_eq!(demand.method, <AddDemandRequest as Rpc>::PATH);
    let sent = AddDemandRequest::decode(demand.payload.as_slice()).expect("an AddDemandRequest");
    assert_eq!(
        sent,
        AddDemandRequest {
            request_id: demand.id.clone(),
            demand_id: reservation_id.clone(),
            sku: "MSG-1".into(),
            quantity: 3,
            order_id: request.order_id.clone(),
            line_id: request.lines[0].line_id.clone(),
            drop_ship: false,
            ship_to_address: String::new(),
        }
    );

    client
        .receive_stock(pb::ReceiveStockRequest {
            request_id: rid(),
            sku: "MSG-1".into(),
            quantity: 3,
            purchase_order_id: rid(),
            warehouse: String::new(),
        })
        .await
        .expect("receipt fills the line");
    let outbox = service.outbox().await;
    let allocated: Vec<_> = outbox
        .iter()
        .filter(|m| m.method == <MarkLineAllocatedRequest as Rpc>::PATH)
        .collect();
    assert_eq!(allocated.len(), 1);
    assert_eq!(allocated[0].destination, "order");
    let told = MarkLineAllocatedRequest::decode(allocated[0].payload.as_slice()).expect("decodes");
    assert_eq!(
        told,
        MarkLineAllocatedRequest {
            request_id: allocated[0].id.clone(),
            order_id: request.order_id.clone(),
            line_id: request.lines[0].line_id.clone(),
            allocated_quantity: 3,
            waiting_quantity: 0,
            warehouse: "default".into(),
        }
    );
    let closed: Vec<_> = outbox
        .iter()
        .filter(|m| m.method == <ReleaseDemandRequest as Rpc>::PATH)
        .collect();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].destination, "procurement");
    let close = ReleaseDemandRequest::decode(closed[0].payload.as_slice()).expect("decodes");
    assert_eq!(close.demand_id, reservation_id);
    assert_eq!(close.request_id, closed[0].id);
    service.stop().await;
}
