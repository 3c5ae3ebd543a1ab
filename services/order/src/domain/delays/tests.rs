use super::super::limits::{MAX_NOTICE_DETAIL_CHARS, MAX_QUANTITY, MAX_SKU_BYTES};
use super::super::warehouses::UnitsByWarehouse;
use super::*;

const DAY: i64 = 86_400_000;
/// 2026-12-01T00:00:00Z.
const DEC_1: i64 = 1_796_083_200_000;
const HOUR: i64 = 3_600_000;

fn waiting(eta: Option<i64>) -> Line {
    Line {
        id: Uuid::now_v7(),
        order_id: Uuid::now_v7(),
        line_no: 0,
        sku: "LAMP-1".to_owned(),
        quantity: 3,
        reserved_quantity: 0,
        backordered_quantity: 3,
        status: LineStatus::Backordered,
        eta,
        eta_latest: eta,
        purchase_order_id: None,
        shipment_id: None,
        shipped_quantity: 0,
        ready_quantity: 0,
        ready_in: UnitsByWarehouse::new(),
        drop_ship: false,
        unit_price_minor: 0,
        payment: None,
    }
}

fn rule(when_unanswered: DelayAnswer) -> DelayRule {
    DelayRule {
        answer_within_ms: 72 * HOUR,
        when_unanswered,
    }
}

fn offered(change: OfferChange) -> (DelayOffer, bool) {
    match change {
        OfferChange::Offered { offer, refreshed } => (offer, refreshed),
        other => panic!("expected an offer, got {other:?}"),
    }
}

#[test]
fn a_later_day_on_a_waiting_line_with_a_date_is_a_slip() {
    let b = LineStatus::Backordered;
    assert!(is_slip(b, Some(DEC_1), DEC_1 + DAY));
    assert!(!is_slip(b, Some(DEC_1), DEC_1 + 5 * HOUR), "same UTC day");
    assert!(!is_slip(b, Some(DEC_1 + DAY), DEC_1), "earlier");
    assert!(!is_slip(b, None, DEC_1), "a first date is no delay");
    for status in [
        LineStatus::Pending,
        LineStatus::Ready,
        LineStatus::Shipped,
        LineStatus::Cancelled,
    ] {
        assert!(!is_slip(status, Some(DEC_1), DEC_1 + DAY), "{status:?}");
    }
}

#[test]
fn a_slip_opens_an_offer_answerable_for_the_set_time() {
    let line = waiting(Some(DEC_1));
    let now = DEC_1 - 10 * DAY;
    let change = on_eta(
        &line,
        None,
        (DEC_1 + 9 * DAY, DEC_1 + 11 * DAY),
        now,
        &rule(DelayAnswer::Wait),
    );
    let (offer, refreshed) = offered(change);
    assert!(!refreshed);
    assert_eq!(offer.line_id, line.id);
    assert_eq!(offer.order_id, line.order_id);
    assert_eq!(offer.previous_eta, DEC_1);
    assert_eq!(
        (offer.new_eta, offer.new_eta_latest),
        (DEC_1 + 9 * DAY, DEC_1 + 11 * DAY)
    );
    assert_eq!(offer.state, OfferState::Open);
    assert_eq!(offer.answer_by, now + 72 * HOUR);
    assert_eq!((offer.answer, offer.answered_at), (None, None));
}

#[test]
fn a_further_slip_refreshes_the_open_offer_from_the_first_date() {
    let mut line = waiting(Some(DEC_1));
    let rule = rule(DelayAnswer::Wait);
    let (first, _) = offered(on_eta(&line, None, (DEC_1 + DAY, DEC_1 + DAY), 0, &rule));
    line.eta = Some(DEC_1 + DAY);
    let (second, refreshed) = offered(on_eta(
        &line,
        Some(&first),
        (DEC_1 + 4 * DAY, DEC_1 + 4 * DAY),
        HOUR,
        &rule,
    ));
    assert!(refreshed);
    assert_eq!(second.previous_eta, DEC_1, "the date before the delay");
    assert_eq!(second.new_eta, DEC_1 + 4 * DAY);
    assert_eq!(
        second.answer_by,
        HOUR + 72 * HOUR,
        "time to answer restarts"
    );
}

#[test]
fn a_slip_after_an_answer_opens_a_new_offer() {
    let mut line = waiting(Some(DEC_1));
    let rule = rule(DelayAnswer::Wait);
    let (first, _) = offered(on_eta(&line, None, (DEC_1 + DAY, DEC_1 + DAY), 0, &rule));
    let kept = answer(Some(&first), line.status, DelayAnswer::Wait, 5).expect("answered");
    line.eta = Some(DEC_1 + DAY);
    let (next, refreshed) = offered(on_eta(
        &line,
        Some(&kept),
        (DEC_1 + 3 * DAY, DEC_1 + 3 * DAY),
        10,
        &rule,
    ));
    assert!(!refreshed);
    assert_eq!(next.previous_eta, DEC_1 + DAY, "from the date accepted");
    assert_eq!(next.state, OfferState::Open);
    assert_eq!(next.answer, None);
}

#[test]
fn the_date_coming_back_makes_an_open_offer_moot() {
    let mut line = waiting(Some(DEC_1));
    let rule = rule(DelayAnswer::Wait);
    let (open, _) = offered(on_eta(
        &line,
        None,
        (DEC_1 + 5 * DAY, DEC_1 + 5 * DAY),
        0,
        &rule,
    ));
    line.eta = Some(DEC_1 + 5 * DAY);
    // Earlier but still late: the offer follows the date, same deadline.
    match on_eta(
        &line,
        Some(&open),
        (DEC_1 + 3 * DAY, DEC_1 + 3 * DAY),
        7,
        &rule,
    ) {
        OfferChange::Adjusted(offer) => {
            assert_eq!(offer.new_eta, DEC_1 + 3 * DAY);
            assert_eq!(offer.answer_by, open.answer_by);
            assert_eq!(offer.state, OfferState::Open);
        }
        other => panic!("expected an adjustment, got {other:?}"),
    }
    for back in [DEC_1 + 2 * HOUR, DEC_1 - DAY] {
        match on_eta(&line, Some(&open), (back, back), 9, &rule) {
            OfferChange::Moot(offer) => {
                assert_eq!(offer.state, OfferState::Moot);
                assert_eq!(offer.answered_at, Some(9));
                assert_eq!(offer.answer, None);
            }
            other => panic!("expected moot, got {other:?}"),
        }
    }
    // The same date again changes nothing; so does any date without an
    // open offer.
    assert_eq!(
        on_eta(
            &line,
            Some(&open),
            (open.new_eta, open.new_eta_latest),
            9,
            &rule
        ),
        OfferChange::Nothing
    );
    assert_eq!(
        on_eta(&line, None, (DEC_1, DEC_1), 9, &rule),
        OfferChange::Nothing
    );
}

#[test]
fn only_an_open_offer_on_a_waiting_line_takes_an_answer() {
    let line = waiting(Some(DEC_1));
    let (open, _) = offered(on_eta(
        &line,
        None,
        (DEC_1 + DAY, DEC_1 + DAY),
        0,
        &rule(DelayAnswer::Wait),
    ));
    let cancelled = answer(Some(&open), line.status, DelayAnswer::Cancel, 3).expect("open");
    assert_eq!(cancelled.state, OfferState::Answered);
    assert_eq!(cancelled.answer, Some(DelayAnswer::Cancel));
    assert_eq!(cancelled.answered_at, Some(3));
    assert_eq!(
        answer(Some(&cancelled), line.status, DelayAnswer::Wait, 4),
        Err(AnswerRefused::NoOpenOffer)
    );
    assert_eq!(
        answer(None, line.status, DelayAnswer::Wait, 4),
        Err(AnswerRefused::NoOpenOffer)
    );
    for status in [
        LineStatus::Ready,
        LineStatus::Shipped,
        LineStatus::Cancelled,
    ] {
        assert_eq!(
            answer(Some(&open), status, DelayAnswer::Wait, 4),
            Err(AnswerRefused::LineNoLongerWaits)
        );
        assert_eq!(open.shown_state(status), OfferState::Moot);
    }
    assert_eq!(open.shown_state(LineStatus::Backordered), OfferState::Open);
    assert_eq!(
        cancelled.shown_state(LineStatus::Cancelled),
        OfferState::Answered,
        "a closed offer shows as it closed"
    );
}

#[test]
fn the_rule_decides_an_unanswered_offer_once_due() {
    let line = waiting(Some(DEC_1));
    for when in [DelayAnswer::Wait, DelayAnswer::Cancel] {
        let rule = rule(when);
        let (open, _) = offered(on_eta(&line, None, (DEC_1 + DAY, DEC_1 + DAY), 0, &rule));
        assert_eq!(
            apply_rule(&open, line.status, &rule, open.answer_by - 1),
            None
        );
        let decided = apply_rule(&open, line.status, &rule, open.answer_by).expect("due");
        assert_eq!(decided.state, OfferState::DecidedByRule);
        assert_eq!(decided.answer, Some(when));
        assert_eq!(decided.answered_at, Some(open.answer_by));
        assert_eq!(apply_rule(&decided, line.status, &rule, i64::MAX), None);
        let gone = apply_rule(&open, LineStatus::Ready, &rule, open.answer_by).expect("due");
        assert_eq!(gone.state, OfferState::Moot, "the line no longer waits");
    }
}

#[test]
fn the_notice_says_the_dates_and_what_happens_without_a_reply() {
    let line = waiting(Some(DEC_1 + 9 * DAY));
    let offer = DelayOffer {
        line_id: line.id,
        order_id: line.order_id,
        previous_eta: DEC_1 + 9 * DAY,
        new_eta: DEC_1 + 19 * DAY,
        new_eta_latest: DEC_1 + 19 * DAY,
        offered_at: DEC_1,
        answer_by: DEC_1 + 3 * DAY,
        state: OfferState::Open,
        answer: None,
        answered_at: None,
    };
    assert_eq!(
        offer_detail(&line, &offer, &rule(DelayAnswer::Wait)),
        "3 x LAMP-1: now expected 2026-12-20 (was 2026-12-10). Reply by 2026-12-04 to keep waiting or cancel; without a reply it stays on order"
    );
    let range = DelayOffer {
        new_eta_latest: DEC_1 + 22 * DAY,
        ..offer.clone()
    };
    assert_eq!(
        offer_detail(&line, &range, &rule(DelayAnswer::Cancel)),
        "3 x LAMP-1: now expected between 2026-12-20 and 2026-12-23 (was 2026-12-10). Reply by 2026-12-04 to keep waiting or cancel; without a reply it is cancelled"
    );
    let mut worst = line.clone();
    worst.quantity = MAX_QUANTITY;
    worst.sku = "W".repeat(MAX_SKU_BYTES);
    let far = DelayOffer {
        previous_eta: i64::MIN,
        new_eta: i64::MAX,
        new_eta_latest: i64::MAX - 1,
        answer_by: i64::MAX,
        ..offer
    };
    let detail = offer_detail(&worst, &far, &rule(DelayAnswer::Cancel));
    assert!(
        detail.chars().count() <= MAX_NOTICE_DETAIL_CHARS,
        "{detail}"
    );
}

#[test]
fn codes_round_trip_and_unknown_ones_are_refused() {
    for answer in [DelayAnswer::Wait, DelayAnswer::Cancel] {
        assert_eq!(DelayAnswer::try_from(answer.code()), Ok(answer));
    }
    for state in [
        OfferState::Open,
        OfferState::Answered,
        OfferState::DecidedByRule,
        OfferState::Moot,
    ] {
        assert_eq!(OfferState::try_from(state.code()), Ok(state));
    }
    assert!(DelayAnswer::try_from(0).is_err());
    assert!(OfferState::try_from(5).is_err());
}

#[test]
fn the_timeline_names_each_step() {
    let news = [
        DelayNews::Answered(DelayAnswer::Wait),
        DelayNews::DecidedByRule(DelayAnswer::Cancel),
        DelayNews::Moot {
            why: "the date came back",
        },
    ];
    let names: Vec<&str> = news.iter().map(DelayNews::name).collect();
    assert_eq!(
        names,
        ["delay_answered", "delay_decided_by_rule", "delay_moot"]
    );
    assert_eq!(news[0].detail(), "the customer chose to wait");
    assert_eq!(
        news[1].detail(),
        "no answer in time: the merchant's rule is to cancel"
    );
}
