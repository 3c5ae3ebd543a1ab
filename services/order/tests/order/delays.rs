//! Delays offered to the customer: a slipped date opens an offer and tells
//! the customer, AnswerDelay keeps the line or cancels it, answers without
//! an open offer are refused, the date coming back or the line filling
//! makes the offer moot, and the merchant's rule settles an unanswered
//! offer once (in the handlers and in the running service).

use std::time::Duration;

use backorder_platform::ServiceError;
use backorder_proto::Rpc;
use backorder_proto::inventory::v1::ReleaseReservationRequest;
use backorder_proto::notification::v1::NotificationEvent as Ev;
use backorder_proto::order::v1 as pb;
use order::delays::DelaySettings;
use order::domain::delays::{DelayAnswer, DelayRule};
use order::handlers::{FulfilmentSettings, OrderApi};
use order::store::delay_offer;
use order::workers::delay_rules;
use prost::Message;
use sea_orm::EntityTrait;

use crate::fake_peers::{FakePeers, backorder_all};
use crate::helpers::{Harness, WAIT, call, eventually, harness, rid, spawn_app};

const DAY_SECONDS: i64 = 86_400;
const OPEN: i32 = pb::DelayOfferState::Open as i32;
const ANSWERED: i32 = pb::DelayOfferState::Answered as i32;
const BY_RULE: i32 = pb::DelayOfferState::DecidedByRule as i32;
const MOOT: i32 = pb::DelayOfferState::Moot as i32;
const WAIT_ANSWER: i32 = pb::DelayAnswer::Wait as i32;
const CANCEL_ANSWER: i32 = pb::DelayAnswer::Cancel as i32;

/// Day `day` after 2030-03-17 (at 17:46 UTC).
fn day(day: i64) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: 1_900_000_000 + day * DAY_SECONDS,
        nanos: 0,
    }
}

/// A backordered order of `LAMP-1 x 3` whose line is promised for day 1.
async fn waiting(h: &Harness) -> (pb::Order, String) {
    h.fake
        .script(|req, _| async move { Ok(backorder_all(&req)) });
    let order = h.place(&rid(), &[("LAMP-1", 3)]).await;
    let line_id = order.lines[0].id.clone();
    let line = promise(&h.api, &order.id, &line_id, 1, 1).await;
    assert_eq!(line.delay_offer, None, "a first date is no delay");
    (order, line_id)
}

/// Tells the line it is now expected from day `from` to day `to`.
async fn promise(
    api: &OrderApi,
    order_id: &str,
    line_id: &str,
    from: i64,
    to: i64,
) -> pb::OrderLine {
    api.update_line_eta(pb::UpdateLineEtaRequest {
        request_id: rid(),
        order_id: order_id.to_owned(),
        line_id: line_id.to_owned(),
        eta: Some(day(from)),
        purchase_order_id: String::new(),
        eta_latest: Some(day(to)),
    })
    .await
    .expect("eta")
    .line
    .expect("line")
}

fn answer_request(
    order_id: &str,
    line_id: &str,
    answer: pb::DelayAnswer,
) -> pb::AnswerDelayRequest {
    pb::AnswerDelayRequest {
        request_id: rid(),
        order_id: order_id.to_owned(),
        line_id: line_id.to_owned(),
        answer: answer as i32,
    }
}

fn offer_of(order: &pb::Order) -> pb::DelayOffer {
    order.lines[0].delay_offer.expect("an offer")
}

async fn get(api: &OrderApi, order_id: &str) -> pb::Order {
    api.get_order(pb::GetOrderRequest {
        order_id: order_id.to_owned(),
    })
    .await
    .expect("get")
    .order
    .expect("order")
}

fn refused_for_no_open_offer(error: ServiceError) {
    match error {
        ServiceError::FailedPrecondition { reason, .. } => {
            assert_eq!(reason, "NO_OPEN_DELAY_OFFER");
        }
        other => panic!("expected NO_OPEN_DELAY_OFFER, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slip_is_offered_then_kept_or_cancelled_by_the_customer() {
    let h = harness("delays_answered").await;
    let (order, line_id) = waiting(&h).await;

    let line = promise(&h.api, &order.id, &line_id, 5, 7).await;
    let offer = line.delay_offer.expect("a slip opens an offer");
    assert_eq!(offer.state, OPEN);
    assert_eq!(offer.previous_eta, Some(day(1)));
    assert_eq!(offer.new_eta, Some(day(5)));
    let answer_by = offer.answer_by.expect("answer by").seconds;
    let offered_at = offer.offer_time.expect("offered").seconds;
    assert_eq!(answer_by - offered_at, 72 * 3600, "the default 72 hours");
    assert_eq!(
        offer_of(&get(&h.api, &order.id).await),
        offer,
        "GetOrder shows it"
    );

    let notices = h.notices().await;
    let events: Vec<i32> = notices.iter().map(|n| n.event).collect();
    assert_eq!(
        events,
        [
            Ev::OrderConfirmed,
            Ev::Backordered,
            Ev::EtaKnown,
            Ev::DelayOffered
        ]
        .map(|e| e as i32),
        "the slip is told as a delay, not as a changed date"
    );
    let told = notices.last().expect("the delay");
    assert_eq!((told.eta, told.eta_latest), (Some(day(5)), Some(day(7))));
    assert_eq!(told.line_id, line_id);
    assert!(
        told.detail.starts_with(
            "3 x LAMP-1: now expected between 2030-03-22 and 2030-03-24 (was 2030-03-18). Reply by "
        ) && told
            .detail
            .ends_with("to keep waiting or cancel; without a reply it stays on order"),
        "{}",
        told.detail
    );

    // Keep waiting; a repeat answers the same; a second answer is refused.
    let keep = answer_request(&order.id, &line_id, pb::DelayAnswer::Wait);
    let kept = h.api.answer_delay(keep.clone()).await.expect("wait");
    let shown = kept.order.clone().expect("order");
    assert_eq!(shown.lines[0].status, pb::LineStatus::Backordered as i32);
    let answered = offer_of(&shown);
    assert_eq!((answered.state, answered.answer), (ANSWERED, WAIT_ANSWER));
    assert!(answered.answer_time.is_some());
    assert_eq!(h.api.answer_delay(keep).await.expect("repeat"), kept);
    let again = answer_request(&order.id, &line_id, pb::DelayAnswer::Cancel);
    refused_for_no_open_offer(h.api.answer_delay(again).await.expect_err("answered"));

    // A further slip opens a new offer, from the date accepted; cancel it.
    let line = promise(&h.api, &order.id, &line_id, 9, 9).await;
    let offer = line.delay_offer.expect("a new offer");
    assert_eq!((offer.state, offer.previous_eta), (OPEN, Some(day(5))));
    let cancelled = h
        .api
        .answer_delay(answer_request(&order.id, &line_id, pb::DelayAnswer::Cancel))
        .await
        .expect("cancel")
        .order
        .expect("order");
    assert_eq!(cancelled.lines[0].status, pb::LineStatus::Cancelled as i32);
    assert_eq!(cancelled.status, pb::OrderStatus::Cancelled as i32);
    let settled = offer_of(&cancelled);
    assert_eq!((settled.state, settled.answer), (ANSWERED, CANCEL_ANSWER));
    let releases: Vec<ReleaseReservationRequest> = h
        .outbox()
        .await
        .into_iter()
        .filter(|m| m.method == ReleaseReservationRequest::PATH)
        .map(|m| ReleaseReservationRequest::decode(m.payload.as_slice()).expect("decode"))
        .collect();
    assert_eq!(releases.len(), 1, "inventory releases the line");
    assert_eq!(releases[0].line_id, line_id);
    let last = h.notices().await.pop().expect("a notice");
    assert_eq!(last.event, Ev::Cancelled as i32);
    assert!(
        last.detail.contains("you chose to cancel"),
        "{}",
        last.detail
    );

    let timeline = h
        .api
        .get_order_timeline(pb::GetOrderTimelineRequest {
            order_id: order.id.clone(),
        })
        .await
        .expect("timeline");
    let own: Vec<&str> = timeline
        .events
        .iter()
        .filter(|e| {
            e.service == "order" && (e.event.starts_with("delay_") || e.event == "line_cancelled")
        })
        .map(|e| e.event.as_str())
        .collect();
    assert_eq!(
        own,
        [
            "delay_offered",
            "delay_answered",
            "delay_offered",
            "delay_answered",
            "line_cancelled"
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_without_an_open_offer_are_refused_and_a_filled_line_makes_it_moot() {
    let h = harness("delays_refused").await;
    let (order, line_id) = waiting(&h).await;
    let wait = || answer_request(&order.id, &line_id, pb::DelayAnswer::Wait);
    refused_for_no_open_offer(h.api.answer_delay(wait()).await.expect_err("no offer"));
    let mut unspecified = wait();
    unspecified.answer = 0;
    assert!(matches!(
        h.api.answer_delay(unspecified).await,
        Err(ServiceError::InvalidArgument(_))
    ));

    // The date comes back before an answer: the offer is moot, and the
    // customer hears the changed date.
    promise(&h.api, &order.id, &line_id, 4, 4).await;
    let back = promise(&h.api, &order.id, &line_id, 1, 1).await;
    assert_eq!(back.delay_offer.expect("offer").state, MOOT);
    assert_eq!(
        h.notices().await.pop().expect("notice").event,
        Ev::EtaChanged as i32
    );
    refused_for_no_open_offer(h.api.answer_delay(wait()).await.expect_err("moot"));

    // Slipped again, then filled before an answer: shown moot at once,
    // refused, and written moot.
    promise(&h.api, &order.id, &line_id, 6, 6).await;
    h.api
        .mark_line_allocated(pb::MarkLineAllocatedRequest {
            request_id: rid(),
            order_id: order.id.clone(),
            line_id: line_id.clone(),
            ..Default::default()
        })
        .await
        .expect("allocated");
    assert_eq!(offer_of(&get(&h.api, &order.id).await).state, MOOT);
    let stored = delay_offer::Entity::find_by_id(line_id.clone())
        .one(&h.db)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(stored.state, OPEN, "nothing wrote it moot yet");
    refused_for_no_open_offer(h.api.answer_delay(wait()).await.expect_err("filled"));
    let stored = delay_offer::Entity::find_by_id(line_id)
        .one(&h.db)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(stored.state, MOOT);
    assert!(stored.answered_at.is_some());
}

/// The API on `h`'s database with a rule due after `answer_within_ms`.
fn api_with_rule(h: &Harness, when_unanswered: DelayAnswer, answer_within_ms: i64) -> OrderApi {
    let fulfilment = FulfilmentSettings {
        delays: DelaySettings {
            rule: DelayRule {
                answer_within_ms,
                when_unanswered,
            },
            ..DelaySettings::default()
        },
        ..FulfilmentSettings::default()
    };
    OrderApi::new(h.api.context().clone(), Duration::from_secs(30), fulfilment).expect("api")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rule_settles_an_unanswered_offer_once_among_replicas() {
    let h = harness("delays_rule").await;
    for (when, status) in [
        (DelayAnswer::Wait, pb::LineStatus::Backordered),
        (DelayAnswer::Cancel, pb::LineStatus::Cancelled),
    ] {
        let (order, line_id) = waiting(&h).await;
        let (first, second) = (api_with_rule(&h, when, 1), api_with_rule(&h, when, 1));
        let line = promise(&first, &order.id, &line_id, 3, 3).await;
        assert_eq!(line.delay_offer.expect("offer").state, OPEN);
        if when == DelayAnswer::Cancel {
            let told = h.notices().await.pop().expect("notice");
            assert!(
                told.detail.ends_with("without a reply it is cancelled"),
                "{}",
                told.detail
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        // Two replicas look at once: one settles it.
        let (a, b) = tokio::join!(
            delay_rules::apply_due(&first),
            delay_rules::apply_due(&second)
        );
        assert_eq!(a.unwrap_or(0) + b.unwrap_or(0), 1, "settled exactly once");
        assert_eq!(delay_rules::apply_due(&first).await.expect("round"), 0);
        let shown = get(&h.api, &order.id).await;
        assert_eq!(shown.lines[0].status, status as i32);
        let offer = offer_of(&shown);
        assert_eq!((offer.state, offer.answer), (BY_RULE, when.code()));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_running_service_cancels_an_unanswered_delay_by_the_merchants_rule() {
    let fake = FakePeers::start().await;
    fake.script(|req, _| async move { Ok(backorder_all(&req)) });
    let app = spawn_app(
        "delays_worker",
        &fake.address,
        &fake.address,
        &[
            ("delays.when_unanswered", "CANCEL"),
            ("delays.answer_within_hours", "48"),
            ("delays.answer_within_ms", "300"),
            ("delays.check_interval_ms", "20"),
        ],
    )
    .await;
    let mut client = app.client().await;
    let settings = client
        .get_fulfilment_settings(call(pb::GetFulfilmentSettingsRequest {}))
        .await
        .expect("settings")
        .into_inner();
    assert_eq!(settings.delay_answer_hours, 48);
    assert_eq!(settings.unanswered_delay, CANCEL_ANSWER);

    let order = client
        .place_order(call(crate::helpers::place_request(
            &rid(),
            &[("LAMP-1", 2)],
        )))
        .await
        .expect("placed")
        .into_inner()
        .order
        .expect("order");
    let line_id = order.lines[0].id.clone();
    for eta in [1, 4] {
        client
            .update_line_eta(call(pb::UpdateLineEtaRequest {
                request_id: rid(),
                order_id: order.id.clone(),
                line_id: line_id.clone(),
                eta: Some(day(eta)),
                purchase_order_id: String::new(),
                eta_latest: None,
            }))
            .await
            .expect("eta");
    }
    let cancelled = eventually("the rule to cancel the line", WAIT, || {
        let mut client = client.clone();
        let id = order.id.clone();
        async move {
            let order = client
                .get_order(call(pb::GetOrderRequest { order_id: id }))
                .await
                .ok()?
                .into_inner()
                .order?;
            (order.lines[0].status == pb::LineStatus::Cancelled as i32).then_some(order)
        }
    })
    .await;
    let offer = offer_of(&cancelled);
    assert_eq!((offer.state, offer.answer), (BY_RULE, CANCEL_ANSWER));
    eventually("inventory to be told to release", WAIT, || {
        let seen = fake.seen.clone();
        let line_id = line_id.clone();
        async move {
            let releases = seen.releases.lock().ok()?;
            releases.iter().any(|r| r.line_id == line_id).then_some(())
        }
    })
    .await;
    app.stop().await.expect("clean stop, the worker included");
}
