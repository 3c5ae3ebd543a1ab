use uuid::Uuid;

use super::*;
use crate::domain::UnitsByWarehouse;

fn line(status: LineStatus, price: i64) -> Line {
    Line {
        id: Uuid::now_v7(),
        order_id: Uuid::now_v7(),
        line_no: 0,
        sku: "LAMP-9".to_owned(),
        quantity: 2,
        reserved_quantity: 0,
        backordered_quantity: 2,
        status,
        eta: None,
        eta_latest: None,
        purchase_order_id: None,
        shipment_id: None,
        shipped_quantity: 0,
        ready_quantity: 0,
        ready_in: UnitsByWarehouse::new(),
        drop_ship: false,
        unit_price_minor: price,
        payment: None,
    }
}

fn charged(status: LineStatus, charge_at: ChargeAt, state: PaymentState) -> Line {
    let mut line = line(status, 1250);
    line.payment = Some(LinePayment {
        charge_at,
        state,
        amount_minor: 2500,
        reference: "auth_1".to_owned(),
        updated_at: 0,
    });
    line
}

#[test]
fn a_priced_line_is_authorised_at_the_sale_unless_charging_is_off() {
    let priced = line(LineStatus::Backordered, 1250);
    assert_eq!(at_sale(ChargeAt::Never, &priced), None);
    for charge_at in [ChargeAt::Sale, ChargeAt::Filled, ChargeAt::Shipped] {
        assert_eq!(at_sale(charge_at, &priced), Some(2500));
        assert_eq!(at_sale(charge_at, &line(LineStatus::Ready, 0)), None);
    }
    let mut huge = line(LineStatus::Ready, i64::MAX);
    huge.quantity = 3;
    assert_eq!(
        amount_of(&huge),
        None,
        "an amount that overflows is refused"
    );
}

#[test]
fn the_capture_follows_the_authorisation_at_the_merchants_charge_point() {
    use LineStatus::{Backordered, Delivered, Ready, Shipped};
    let authorised = PaymentState::Authorised;
    let next = |status, charge_at| next_request(&charged(status, charge_at, authorised));
    let capture = Some(PaymentAction::Capture);
    assert_eq!(next(Backordered, ChargeAt::Sale), capture);
    assert_eq!(next(Backordered, ChargeAt::Filled), None);
    assert_eq!(
        next(Ready, ChargeAt::Filled),
        capture,
        "filled at the sale or later"
    );
    assert_eq!(next(Ready, ChargeAt::Shipped), None);
    assert_eq!(next(Shipped, ChargeAt::Shipped), capture);
    assert_eq!(next(Delivered, ChargeAt::Shipped), capture);
    assert_eq!(
        next(Shipped, ChargeAt::Filled),
        capture,
        "a drop-shipped line"
    );
}

#[test]
fn cancelling_refunds_a_capture_and_voids_an_authorisation() {
    let cancelled = |state| next_request(&charged(LineStatus::Cancelled, ChargeAt::Filled, state));
    assert_eq!(
        cancelled(PaymentState::Captured),
        Some(PaymentAction::Refund)
    );
    assert_eq!(
        cancelled(PaymentState::Authorised),
        Some(PaymentAction::Void)
    );
    for state in [
        PaymentState::Pending,
        PaymentState::Declined,
        PaymentState::Refunded,
    ] {
        assert_eq!(cancelled(state), None, "{state:?}");
    }
    assert_eq!(next_request(&line(LineStatus::Cancelled, 1250)), None);
}

#[test]
fn nothing_new_is_asked_while_a_request_is_under_way() {
    for status in [
        LineStatus::Ready,
        LineStatus::Shipped,
        LineStatus::Cancelled,
    ] {
        let line = charged(status, ChargeAt::Sale, PaymentState::Pending);
        assert_eq!(next_request(&line), None);
    }
    let captured = charged(
        LineStatus::Shipped,
        ChargeAt::Shipped,
        PaymentState::Captured,
    );
    assert_eq!(next_request(&captured), None);
}

#[test]
fn answers_move_the_payment_and_only_captures_and_refunds_are_told() {
    use PaymentAction::{Authorize, Capture, Refund, Void};
    assert_eq!(
        after_answer(Authorize, Outcome::Approved),
        PaymentState::Authorised
    );
    assert_eq!(
        after_answer(Capture, Outcome::Approved),
        PaymentState::Captured
    );
    assert_eq!(
        after_answer(Refund, Outcome::Approved),
        PaymentState::Refunded
    );
    assert_eq!(
        after_answer(Void, Outcome::Approved),
        PaymentState::Refunded
    );
    for action in [Authorize, Capture, Refund, Void] {
        assert_eq!(
            after_answer(action, Outcome::Declined),
            PaymentState::Declined
        );
        assert_eq!(told_after(action, Outcome::Declined), None);
    }
    assert_eq!(told_after(Capture, Outcome::Approved), Some(Told::Charged));
    assert_eq!(told_after(Refund, Outcome::Approved), Some(Told::Refunded));
    assert_eq!(told_after(Authorize, Outcome::Approved), None);
    assert_eq!(told_after(Void, Outcome::Approved), None);
}

#[test]
fn codes_round_trip_and_amounts_read_with_two_decimals() {
    for charge_at in [
        ChargeAt::Never,
        ChargeAt::Sale,
        ChargeAt::Filled,
        ChargeAt::Shipped,
    ] {
        assert_eq!(ChargeAt::try_from(charge_at.code()), Ok(charge_at));
    }
    for state in PaymentState::ALL {
        assert_eq!(PaymentState::try_from(state.code()), Ok(state));
    }
    for action in PaymentAction::ALL {
        assert_eq!(PaymentAction::try_from(action.code()), Ok(action));
    }
    assert!(PaymentState::try_from(0).is_err() && ChargeAt::try_from(9).is_err());
    assert_eq!(ChargeAt::parse(" filled "), Some(ChargeAt::Filled));
    assert_eq!(format_minor(2500), "25.00");
    assert_eq!(format_minor(7), "0.07");
    assert_eq!(format_minor(-1234), "-12.34");
    let news = PaymentNews {
        action: PaymentAction::Capture,
        outcome: Some(Outcome::Approved),
        amount_minor: 2500,
        reference: "ch_1".to_owned(),
    };
    assert_eq!(news.name(), "payment_capture_approved");
    assert_eq!(news.detail(), "capture of 25.00 approved (reference ch_1)");
}
