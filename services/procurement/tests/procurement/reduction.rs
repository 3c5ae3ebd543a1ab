//! ReduceDemand: a demand lowered when its line changed to fewer units;
//! its draft orders less, a submitted order keeps the units as stock.

use backorder_platform::ids::new_id_string;
use backorder_proto::procurement::v1 as pb;
use tonic::Code;

use crate::helpers::*;

fn reduction(demand_id: &str, quantity: i64) -> pb::ReduceDemandRequest {
    pb::ReduceDemandRequest {
        request_id: new_id_string(),
        demand_id: demand_id.to_owned(),
        quantity,
    }
}

#[tokio::test]
async fn a_reduced_demand_shrinks_its_draft_and_a_repeat_answers_the_same() {
    let h = harness().await;
    let acme = h.supplier("Acme", 3).await;
    h.item(&acme, "SKU-R", 1, 1, 2, true).await.expect("item");
    let demand = h.demand("SKU-R", 5).await;
    let kept = h.demand("SKU-R", 2).await;
    let draft = h.po(&demand.purchase_order_id).await;
    assert_eq!(line(&draft, "SKU-R").demand_quantity, 7);
    assert_eq!(line(&draft, "SKU-R").ordered_quantity, 8, "cases of 2");

    let ask = reduction(&demand.id, 3);
    let reduced = call(h.api.reduce_demand(ask.clone()))
        .await
        .expect("reduced")
        .demand
        .expect("demand");
    assert_eq!(reduced.quantity, 3);
    assert_eq!(reduced.purchase_order_id, draft.id);
    let draft = h.po(&draft.id).await;
    assert_eq!(line(&draft, "SKU-R").demand_quantity, 5);
    assert_eq!(line(&draft, "SKU-R").ordered_quantity, 6);

    let again = call(h.api.reduce_demand(ask))
        .await
        .expect("repeat")
        .demand
        .expect("demand");
    assert_eq!(again, reduced);
    assert_eq!(line(&h.po(&draft.id).await, "SKU-R").demand_quantity, 5);
    assert_eq!(
        reason(call(h.api.reduce_demand(reduction(&demand.id, 3))).await),
        "NOT_A_REDUCTION"
    );
    h.release(&kept.id).await.expect("released");
    assert_eq!(
        reason(call(h.api.reduce_demand(reduction(&kept.id, 1))).await),
        "DEMAND_RELEASED"
    );
}

#[tokio::test]
async fn a_submitted_order_keeps_the_units_a_demand_gives_up() {
    let h = harness().await;
    let acme = h.supplier("Acme", 3).await;
    h.item(&acme, "SKU-S", 1, 1, 1, true).await.expect("item");
    let demand = h.demand("SKU-S", 4).await;
    h.submit(&demand.purchase_order_id)
        .await
        .expect("submitted");
    call(h.api.reduce_demand(reduction(&demand.id, 1)))
        .await
        .expect("reduced");
    let po = h.po(&demand.purchase_order_id).await;
    assert_eq!(line(&po, "SKU-S").demand_quantity, 1);
    assert_eq!(
        line(&po, "SKU-S").ordered_quantity,
        4,
        "the rest becomes stock"
    );
}

#[tokio::test]
async fn an_unknown_demand_or_a_bad_request_is_refused() {
    let h = harness().await;
    assert_eq!(
        code(call(h.api.reduce_demand(reduction(&new_id_string(), 1))).await),
        Code::NotFound
    );
    assert_eq!(
        invalid_fields(call(h.api.reduce_demand(reduction("x", 0))).await),
        ["demand_id", "quantity"]
    );
}
