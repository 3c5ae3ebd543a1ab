use super::*;

const NOW: i64 = 1_796_083_200_000; // 2026-12-01T00:00:00Z

fn lot(po: &str, quantity: i64, day: i64, confirmed: bool) -> Lot {
    Lot {
        purchase_order_id: po.into(),
        quantity,
        expected_at: NOW + day * DAY_MS,
        confirmed,
    }
}

fn supply(lots: Vec<Lot>, lead: Option<i32>) -> InboundSupply {
    InboundSupply::new(1, lots, lead)
}

#[test]
fn lines_take_lots_earliest_first_in_queue_order() {
    // Given out of order: the 5-day lot is consumed before the 9-day one.
    let s = supply(
        vec![lot("late", 10, 9, true), lot("soon", 4, 5, true)],
        Some(20),
    );
    let soon = s.promise(4, NOW).expect("promise");
    assert_eq!(
        (soon.from, soon.to, soon.purchase_order_id.as_deref()),
        (NOW + 5 * DAY_MS, NOW + 5 * DAY_MS, Some("soon"))
    );
    // The 5th unit of the queue is the first of the later lot.
    let late = s.promise(5, NOW).expect("promise");
    assert_eq!(late.purchase_order_id.as_deref(), Some("late"));
    assert_eq!(s.promise(14, NOW).expect("p").from, NOW + 9 * DAY_MS);
}

#[test]
fn past_every_inbound_unit_the_lead_time_from_today_is_promised_as_a_range() {
    let s = supply(vec![lot("po", 4, 5, true)], Some(20));
    let beyond = s.promise(5, NOW).expect("promise");
    assert_eq!(beyond.purchase_order_id, None);
    assert_eq!(beyond.from, NOW + 20 * DAY_MS);
    // A quarter of 20 days is 5 (rounded up).
    assert_eq!(beyond.to, NOW + 25 * DAY_MS);
    // Short lead times still get a range of two days.
    let quick = supply(vec![], Some(1)).promise(1, NOW).expect("p");
    assert_eq!(quick.to - quick.from, 2 * DAY_MS);
}

#[test]
fn an_estimated_lot_is_a_range_and_a_confirmed_one_a_day() {
    let s = supply(vec![lot("est", 3, 7, false)], Some(7));
    let p = s.promise(3, NOW).expect("p");
    assert_eq!((p.from, p.to), (NOW + 7 * DAY_MS, NOW + 9 * DAY_MS));
}

#[test]
fn without_a_supplier_a_line_beyond_inbound_gets_no_date() {
    let s = supply(vec![lot("po", 2, 3, true)], None);
    assert!(s.promise(2, NOW).is_some());
    assert_eq!(s.promise(3, NOW), None);
}

#[test]
fn a_promise_moves_only_when_its_days_change() {
    let p = Promise {
        from: NOW,
        to: NOW + DAY_MS,
        purchase_order_id: None,
    };
    let later_same_day = Promise {
        from: NOW + 3_600_000,
        to: NOW + DAY_MS + 3_600_000,
        purchase_order_id: Some("po".into()),
    };
    assert!(!later_same_day.moved_from(Some(&p)));
    let next_day = Promise {
        from: NOW + DAY_MS,
        ..p.clone()
    };
    assert!(next_day.moved_from(Some(&p)));
    assert!(p.moved_from(None));
}

#[test]
fn repromising_walks_only_lines_within_reach_and_reports_moves() {
    // Two lots: 3 units on day 4, 3 on day 8; lead time 30.
    let s = supply(vec![lot("a", 3, 4, true), lot("b", 3, 8, true)], Some(30));
    let day = |d: i64| Promise {
        from: NOW + d * DAY_MS,
        to: NOW + d * DAY_MS,
        purchase_order_id: None,
    };
    let lines = vec![
        (2, Some(day(4))),  // units 1-2: lot a, unchanged
        (2, Some(day(4))),  // units 3-4: lot b now, moved to day 8
        (2, None),          // units 5-6: lot b, newly promised
        (5, Some(day(30))), // starts at unit 7, beyond reach 6: untouched
    ];
    let (moved, walk) = repromise(&s, &lines, s.units(), 0, NOW);
    assert_eq!(walk, QueueWalk::Done);
    let indexes: Vec<usize> = moved.iter().map(|(i, _)| *i).collect();
    assert_eq!(indexes, [1, 2]);
    assert_eq!(moved[0].1.as_ref().map(|p| p.from), Some(NOW + 8 * DAY_MS));
    // A batch that ends within reach asks for more.
    let (_, walk) = repromise(&s, &lines[..2], s.units(), 0, NOW);
    assert_eq!(walk, QueueWalk::More { position: 4 });
}

#[test]
fn the_earliest_date_for_more_units_follows_the_backlog() {
    let s = supply(vec![lot("a", 5, 4, true)], Some(10));
    assert_eq!(s.earliest_date(3, 2, NOW), Some(NOW + 4 * DAY_MS));
    assert_eq!(s.earliest_date(3, 3, NOW), Some(NOW + 10 * DAY_MS));
    assert_eq!(supply(vec![], None).earliest_date(0, 1, NOW), None);
}
