//! The state machine, the order status and the shipment planner.

use super::LineStatus as S;
use super::*;

/// A line as the planner sees it, owning its parts.
type Held = (LineStatus, UnitsByWarehouse);

fn code(raw: &str) -> WarehouseCode {
    WarehouseCode::parse("warehouse", raw).expect("a code")
}

fn units(entries: &[(&str, i64)]) -> UnitsByWarehouse {
    UnitsByWarehouse::from_entries(entries.iter().map(|(w, u)| (code(w), *u))).expect("units")
}

/// Lines kept in the default warehouse: a ready one holds a unit there.
fn ready<const N: usize>(statuses: [LineStatus; N]) -> Vec<Held> {
    statuses
        .into_iter()
        .map(|s| {
            let held = if s == S::Ready {
                units(&[("default", 1)])
            } else {
                UnitsByWarehouse::new()
            };
            (s, held)
        })
        .collect()
}

fn shippable(lines: &[Held]) -> Vec<Shippable<'_>> {
    lines
        .iter()
        .map(|(status, ready_in)| Shippable {
            status: *status,
            ready_in,
            drop_ship: false,
        })
        .collect()
}

/// The lines of the parcel planned when the lines at `drop_ship` are the
/// supplier's.
fn plan_beside_drop_ship(
    policy: ShipPolicy,
    shipped_parcels: u32,
    lines: &[Held],
    drop_ship: &[usize],
    named: Option<&[usize]>,
) -> Result<Vec<usize>, ShipRefusal> {
    let mut lines = shippable(lines);
    for &i in drop_ship {
        lines[i].drop_ship = true;
    }
    super::plan_shipment(policy, shipped_parcels, &lines, named, None).map(|p| p.lines)
}

/// The lines of the parcel planned, wherever it leaves from.
fn plan_shipment(
    policy: ShipPolicy,
    shipped_parcels: u32,
    lines: &[Held],
    named: Option<&[usize]>,
) -> Result<Vec<usize>, ShipRefusal> {
    super::plan_shipment(policy, shipped_parcels, &shippable(lines), named, None).map(|p| p.lines)
}

/// The parcel planned from `warehouse` (or the one chosen).
fn plan_from(
    policy: ShipPolicy,
    shipped_parcels: u32,
    lines: &[Held],
    named: Option<&[usize]>,
    warehouse: Option<&str>,
) -> Result<(String, Vec<usize>), ShipRefusal> {
    let warehouse = warehouse.map(code);
    super::plan_shipment(
        policy,
        shipped_parcels,
        &shippable(lines),
        named,
        warehouse.as_ref(),
    )
    .map(|p| (p.warehouse.into_string(), p.lines))
}

#[test]
fn reservation_decides_ready_or_backordered() {
    assert_eq!(
        apply(S::Pending, LineEvent::Reserved { backordered: false }),
        Move::To(S::Ready)
    );
    assert_eq!(
        apply(S::Pending, LineEvent::Reserved { backordered: true }),
        Move::To(S::Backordered)
    );
    assert_eq!(
        apply(S::Ready, LineEvent::Reserved { backordered: true }),
        Move::Ignore
    );
}

#[test]
fn allocation_readies_a_backordered_line_and_ignores_stale_ones() {
    assert_eq!(
        apply(S::Backordered, LineEvent::Allocated),
        Move::To(S::Ready)
    );
    assert_eq!(apply(S::Pending, LineEvent::Allocated), Move::NotYet);
    assert_eq!(apply(S::Cancelled, LineEvent::Allocated), Move::Ignore);
    assert_eq!(apply(S::Ready, LineEvent::Allocated), Move::Ignore);
}

#[test]
fn illegal_moves_are_refused() {
    assert_eq!(apply(S::Shipped, LineEvent::Cancelled), Move::Illegal);
    assert_eq!(apply(S::Cancelled, LineEvent::Cancelled), Move::Illegal);
    assert_eq!(apply(S::Cancelled, LineEvent::Shipped), Move::Illegal);
    assert_eq!(apply(S::Ready, LineEvent::Delivered), Move::Illegal);
    assert_eq!(apply(S::Backordered, LineEvent::Shipped), Move::NotYet);
    assert_eq!(apply(S::Ready, LineEvent::Shipped), Move::To(S::Shipped));
    assert_eq!(
        apply(S::Shipped, LineEvent::Delivered),
        Move::To(S::Delivered)
    );
}

#[test]
fn only_waiting_and_ready_lines_can_be_cancelled() {
    assert!(is_cancellable(S::Backordered));
    assert!(is_cancellable(S::Ready));
    for s in [S::Pending, S::Shipped, S::Delivered, S::Cancelled] {
        assert!(!is_cancellable(s), "{s:?}");
    }
}

#[test]
fn order_status_follows_lines() {
    assert_eq!(
        order_status(&[S::Ready, S::Backordered]),
        OrderStatus::Backordered
    );
    assert_eq!(order_status(&[S::Ready, S::Cancelled]), OrderStatus::Ready);
    assert_eq!(
        order_status(&[S::Shipped, S::Backordered]),
        OrderStatus::PartiallyShipped
    );
    assert_eq!(
        order_status(&[S::Shipped, S::Delivered]),
        OrderStatus::Shipped
    );
    assert_eq!(
        order_status(&[S::Delivered, S::Cancelled]),
        OrderStatus::Delivered
    );
    assert_eq!(
        order_status(&[S::Cancelled, S::Cancelled]),
        OrderStatus::Cancelled
    );
    assert_eq!(order_status(&[S::Pending, S::Ready]), OrderStatus::Pending);
}

#[test]
fn shipments_take_ready_lines_and_respect_ship_complete() {
    let lines = [S::Ready, S::Backordered, S::Ready, S::Cancelled];
    assert_eq!(
        plan_shipment(ShipPolicy::AsAvailable, 0, &ready(lines), None),
        Ok(vec![0, 2])
    );
    assert_eq!(
        plan_shipment(ShipPolicy::AsAvailable, 0, &ready(lines), Some(&[1])),
        Err(ShipRefusal::LineNotReady(1, S::Backordered))
    );
    assert_eq!(
        plan_shipment(ShipPolicy::Complete, 0, &ready(lines), None),
        Err(ShipRefusal::WaitingForCompletion)
    );
    assert_eq!(
        plan_shipment(ShipPolicy::AsAvailable, 0, &ready([S::Backordered]), None),
        Err(ShipRefusal::NothingReady)
    );
    assert_eq!(
        plan_shipment(
            ShipPolicy::Complete,
            0,
            &ready([S::Ready, S::Cancelled]),
            None
        ),
        Ok(vec![0])
    );
}

#[test]
fn eta_news_compares_by_utc_calendar_day() {
    let day = 86_400_000;
    let same = |d: i64| (d, d);
    assert_eq!(eta_news((None, None), same(5 * day)), EtaNews::Known);
    assert_eq!(
        eta_news((Some(5 * day), None), same(5 * day + 1000)),
        EtaNews::Unchanged
    );
    assert_eq!(
        eta_news((Some(5 * day), None), same(7 * day)),
        EtaNews::Changed
    );
    // One millisecond apart, either side of midnight: another day.
    assert_eq!(
        eta_news((Some(6 * day - 1), None), same(6 * day)),
        EtaNews::Changed
    );
    // Before the epoch too.
    assert_eq!(
        eta_news((Some(-1), None), same(-day + 1)),
        EtaNews::Unchanged
    );
}

#[test]
fn a_range_that_widens_or_narrows_is_news() {
    let day = 86_400_000;
    let before = (Some(5 * day), Some(7 * day));
    assert_eq!(eta_news(before, (5 * day, 7 * day + 5)), EtaNews::Unchanged);
    assert_eq!(eta_news(before, (5 * day, 5 * day)), EtaNews::Changed);
    assert_eq!(eta_news(before, (5 * day, 9 * day)), EtaNews::Changed);
}

#[test]
fn a_parcel_limit_ships_as_available_until_the_last_parcel() {
    let policy = ShipPolicy::UpToShipments(2);
    let lines = [S::Ready, S::Backordered, S::Ready];
    assert_eq!(
        plan_shipment(policy, 0, &ready(lines), None),
        Ok(vec![0, 2])
    );
    assert_eq!(
        plan_shipment(policy, 1, &ready(lines), None),
        Err(ShipRefusal::LastParcelWaiting(2))
    );
    let rest = [S::Shipped, S::Ready, S::Ready];
    assert_eq!(plan_shipment(policy, 1, &ready(rest), None), Ok(vec![1, 2]));
    assert_eq!(
        plan_shipment(policy, 1, &ready(rest), Some(&[1])),
        Err(ShipRefusal::LastParcelTakesAll(2, vec![2]))
    );
    assert_eq!(
        plan_shipment(
            policy,
            2,
            &ready([S::Shipped, S::Ready, S::Backordered]),
            None
        ),
        Err(ShipRefusal::ShipmentLimitReached(2)),
        "the limit refuses while a line still waits"
    );
}

#[test]
fn one_parcel_means_complete() {
    let policy = ShipPolicy::UpToShipments(1);
    assert_eq!(
        plan_shipment(policy, 0, &ready([S::Ready, S::Backordered]), None),
        Err(ShipRefusal::LastParcelWaiting(1))
    );
    assert_eq!(
        plan_shipment(policy, 0, &ready([S::Ready, S::Cancelled, S::Ready]), None),
        Ok(vec![0, 2])
    );
}

#[test]
fn the_reserved_part_of_a_waiting_line_ships_only_while_parcels_are_not_counted() {
    let lines = [
        (S::Backordered, units(&[("default", 1)])),
        (S::Backordered, UnitsByWarehouse::new()),
    ];
    assert_eq!(
        plan_shipment(ShipPolicy::AsAvailable, 0, &lines, None),
        Ok(vec![0])
    );
    assert_eq!(
        plan_shipment(ShipPolicy::UpToShipments(3), 1, &lines, Some(&[0])),
        Ok(vec![0])
    );
    assert_eq!(
        plan_shipment(ShipPolicy::AsAvailable, 0, &lines, Some(&[1])),
        Err(ShipRefusal::LineNotReady(1, S::Backordered))
    );
    assert_eq!(
        plan_shipment(ShipPolicy::Complete, 0, &lines, None),
        Err(ShipRefusal::WaitingForCompletion)
    );
    assert_eq!(
        plan_shipment(ShipPolicy::UpToShipments(2), 1, &lines, None),
        Err(ShipRefusal::LastParcelWaiting(2))
    );
}

#[test]
fn a_parcel_leaves_from_the_warehouse_holding_most_and_leaves_other_lines_for_later() {
    let lines = [
        (S::Ready, units(&[("default", 2)])),
        (S::Ready, units(&[("east", 3)])),
        (S::Ready, units(&[("east", 1), ("default", 1)])),
        (S::Cancelled, UnitsByWarehouse::new()),
    ];
    let policy = ShipPolicy::AsAvailable;
    assert_eq!(
        plan_from(policy, 0, &lines, None, None),
        Ok(("east".to_owned(), vec![1, 2])),
        "4 units in east against 3 in default; the default-only line waits"
    );
    assert_eq!(
        plan_from(policy, 0, &lines, None, Some("default")),
        Ok(("default".to_owned(), vec![0, 2]))
    );
    assert_eq!(
        plan_from(policy, 0, &lines, Some(&[0]), None),
        Ok(("default".to_owned(), vec![0])),
        "chosen among the lines named"
    );
    assert_eq!(
        plan_from(policy, 0, &lines, Some(&[0, 1]), None),
        Err(ShipRefusal::NotInWarehouse(code("east"), vec![0])),
        "a named line is refused where it holds nothing"
    );
    assert_eq!(
        plan_from(policy, 0, &lines, Some(&[1, 2]), Some("default")),
        Err(ShipRefusal::NotInWarehouse(code("default"), vec![1]))
    );
    assert_eq!(
        plan_from(policy, 0, &lines, None, Some("west")),
        Err(ShipRefusal::NothingInWarehouse(code("west")))
    );
    let tie = [
        (S::Ready, units(&[("east", 2)])),
        (S::Ready, units(&[("default", 2)])),
    ];
    assert_eq!(
        plan_from(policy, 0, &tie, None, None),
        Ok(("default".to_owned(), vec![1])),
        "a tie goes to the lowest code"
    );
}

#[test]
fn the_final_dispatch_is_one_parcel_per_warehouse_past_the_limit() {
    let policy = ShipPolicy::UpToShipments(1);
    let split = [
        (S::Ready, units(&[("east", 1), ("default", 1)])),
        (S::Ready, units(&[("default", 2)])),
    ];
    assert_eq!(
        plan_from(policy, 0, &split, None, None),
        Ok(("default".to_owned(), vec![0, 1]))
    );
    let rest = [
        (S::Ready, units(&[("east", 1)])),
        (S::Shipped, UnitsByWarehouse::new()),
    ];
    assert_eq!(
        plan_from(policy, 1, &rest, None, None),
        Ok(("east".to_owned(), vec![0])),
        "the rest of the final dispatch ships despite the limit"
    );
    let waiting = [
        (S::Ready, units(&[("east", 1)])),
        (S::Backordered, UnitsByWarehouse::new()),
    ];
    assert_eq!(
        plan_from(policy, 1, &waiting, None, None),
        Err(ShipRefusal::ShipmentLimitReached(1))
    );
    let two = [
        (S::Ready, units(&[("east", 1)])),
        (S::Ready, units(&[("east", 2)])),
    ];
    assert_eq!(
        plan_from(ShipPolicy::UpToShipments(2), 3, &two, Some(&[0]), None),
        Err(ShipRefusal::LastParcelTakesAll(2, vec![1])),
        "each parcel of it takes every ready line in its warehouse"
    );
    assert_eq!(
        plan_shipment(policy, 1, &[(S::Shipped, UnitsByWarehouse::new())], None),
        Err(ShipRefusal::NothingReady)
    );
}

#[test]
fn the_last_parcel_takes_every_ready_line_holding_units_in_its_warehouse() {
    let policy = ShipPolicy::UpToShipments(2);
    let lines = [
        (S::Ready, units(&[("east", 1)])),
        (S::Ready, units(&[("default", 1)])),
        (S::Ready, units(&[("default", 1), ("east", 1)])),
    ];
    assert_eq!(
        plan_from(policy, 1, &lines, Some(&[1]), Some("default")),
        Err(ShipRefusal::LastParcelTakesAll(2, vec![2]))
    );
    assert_eq!(
        plan_from(policy, 1, &lines, Some(&[1, 2]), Some("default")),
        Ok(("default".to_owned(), vec![1, 2])),
        "a line with nothing in default is not left out"
    );
}

#[test]
fn a_drop_ship_line_never_goes_in_a_parcel() {
    let lines = ready([S::Ready, S::Backordered, S::Ready]);
    assert_eq!(
        plan_beside_drop_ship(ShipPolicy::AsAvailable, 0, &lines, &[1], Some(&[0, 1])),
        Err(ShipRefusal::LineDropShipped(vec![1]))
    );
    assert_eq!(
        plan_beside_drop_ship(
            ShipPolicy::Complete,
            0,
            &ready([S::Ready, S::Backordered, S::Backordered]),
            &[1],
            Some(&[1])
        ),
        Err(ShipRefusal::LineDropShipped(vec![1])),
        "named, it is refused for what it is, whatever the policy waits for"
    );
    assert_eq!(
        plan_beside_drop_ship(ShipPolicy::AsAvailable, 0, &lines, &[1], None),
        Ok(vec![0, 2])
    );
    let shipped = ready([S::Ready, S::Shipped]);
    assert_eq!(
        plan_beside_drop_ship(ShipPolicy::AsAvailable, 0, &shipped, &[1], Some(&[1])),
        Err(ShipRefusal::LineDropShipped(vec![1])),
        "nor once the supplier shipped it"
    );
}

#[test]
fn ship_complete_waits_for_its_own_lines_not_the_suppliers() {
    let lines = ready([S::Ready, S::Backordered, S::Ready]);
    assert_eq!(
        plan_beside_drop_ship(ShipPolicy::Complete, 0, &lines, &[1], None),
        Ok(vec![0, 2])
    );
    let waiting = ready([S::Ready, S::Backordered, S::Backordered]);
    assert_eq!(
        plan_beside_drop_ship(ShipPolicy::Complete, 0, &waiting, &[1], None),
        Err(ShipRefusal::WaitingForCompletion),
        "a line waiting for stock still holds the parcel"
    );
    assert_eq!(
        plan_beside_drop_ship(
            ShipPolicy::Complete,
            0,
            &ready([S::Backordered]),
            &[0],
            None
        ),
        Err(ShipRefusal::NothingReady),
        "nothing of its own to ship"
    );
}

#[test]
fn a_parcel_limit_looks_past_drop_ship_lines() {
    let lines = ready([S::Ready, S::Backordered]);
    assert_eq!(
        plan_beside_drop_ship(ShipPolicy::UpToShipments(1), 0, &lines, &[1], None),
        Ok(vec![0]),
        "the last parcel does not wait for the supplier"
    );
    let rest = [
        (S::Shipped, UnitsByWarehouse::new()),
        (S::Ready, units(&[("east", 1)])),
        (S::Backordered, UnitsByWarehouse::new()),
    ];
    assert_eq!(
        plan_beside_drop_ship(ShipPolicy::UpToShipments(1), 1, &rest, &[2], None),
        Ok(vec![1]),
        "the final dispatch goes on while only the supplier's line waits"
    );
    assert_eq!(
        plan_beside_drop_ship(ShipPolicy::UpToShipments(1), 1, &rest, &[], None),
        Err(ShipRefusal::ShipmentLimitReached(1)),
        "a line waiting for stock is what the limit refuses for"
    );
}

#[test]
fn a_drop_ship_line_goes_from_waiting_to_shipped_without_being_ready() {
    assert_eq!(
        apply(S::Backordered, LineEvent::DropShipped),
        Move::To(S::Shipped)
    );
    assert_eq!(apply(S::Pending, LineEvent::DropShipped), Move::NotYet);
    for s in [S::Shipped, S::Delivered, S::Cancelled] {
        assert_eq!(apply(s, LineEvent::DropShipped), Move::Ignore, "{s:?}");
    }
    assert_eq!(apply(S::Ready, LineEvent::DropShipped), Move::Illegal);
}
