//! A SKU's stock position and every way it moves. Each change is computed
//! in full before anything is assigned, so a refused change leaves the
//! position as it was.

use uuid::Uuid;

use super::BackorderPolicy;
use super::quantity::{QuantityLimit, Total, minus, plus};

/// Quantities of one SKU in one warehouse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StockPosition {
    /// Physically on hand.
    pub on_hand: i64,
    /// On hand and promised to lines.
    pub reserved: i64,
    /// Promised to lines, not yet on hand.
    pub backordered: i64,
    /// Lines waiting for some of those units (kept with the units so the
    /// backlog's totals are a sum over SKUs, not over every line).
    pub waiting_lines: i64,
}

/// How one line is served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineOutcome {
    /// Units reserved from stock now.
    pub reserved: i64,
    /// Units that wait for stock.
    pub backordered: i64,
}

/// Why a short line cannot be backordered (a stockout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The product's policy denies backorders.
    PolicyDenies {
        /// Units missing.
        short: i64,
    },
    /// The customer does not accept backorders.
    CustomerDeclines {
        /// Units missing.
        short: i64,
    },
    /// Backordering would exceed the product's cap.
    CapReached {
        /// Units missing.
        short: i64,
        /// Units that could still wait.
        room: i64,
    },
}

/// Why a line was not reserved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReserveError {
    /// A stockout: the line cannot be served as asked.
    Stockout(Refusal),
    /// A stored total would leave its range.
    Limit(QuantityLimit),
}

impl From<QuantityLimit> for ReserveError {
    fn from(limit: QuantityLimit) -> Self {
        Self::Limit(limit)
    }
}

/// Why stock cannot move as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StockRefusal {
    /// Removing would leave less on hand than is reserved.
    BelowReserved {
        /// On hand after the change.
        on_hand_after: i64,
        /// Reserved.
        reserved: i64,
    },
    /// A stored total would leave its range.
    Limit(QuantityLimit),
}

impl From<QuantityLimit> for StockRefusal {
    fn from(limit: QuantityLimit) -> Self {
        Self::Limit(limit)
    }
}

/// A line waiting for stock, in queue order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    /// Reservation id.
    pub id: Uuid,
    /// Units it still waits for.
    pub waiting: i64,
}

/// Stock given to one waiting line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Reservation id.
    pub id: Uuid,
    /// Units given.
    pub quantity: i64,
    /// Whether the line now has everything.
    pub complete: bool,
}

impl StockPosition {
    /// What a new order can take now (never negative, never overflowing,
    /// whatever is stored).
    pub fn available(&self) -> i64 {
        self.on_hand.saturating_sub(self.reserved).max(0)
    }

    /// Decides how a line of `quantity` is served and takes it from stock.
    pub fn reserve_line(
        &mut self,
        quantity: i64,
        policy: BackorderPolicy,
        accept_backorders: bool,
    ) -> Result<LineOutcome, ReserveError> {
        let reserved = quantity.min(self.available());
        let short = minus(Total::Backordered, quantity, reserved)?;
        if short > 0 {
            if !accept_backorders {
                return Err(ReserveError::Stockout(Refusal::CustomerDeclines { short }));
            }
            match policy {
                BackorderPolicy::Allow => {}
                BackorderPolicy::Deny => {
                    return Err(ReserveError::Stockout(Refusal::PolicyDenies { short }));
                }
                // A cap by inbound supply arrives here as a cap of the
                // inbound units plus the margin (`with_inbound`); on its
                // own only its margin may wait.
                BackorderPolicy::Capped { cap } | BackorderPolicy::Inbound { margin: cap } => {
                    let room = cap.saturating_sub(self.backordered).max(0);
                    if short > room {
                        return Err(ReserveError::Stockout(Refusal::CapReached { short, room }));
                    }
                }
            }
        }
        let after = Self {
            reserved: plus(Total::Reserved, self.reserved, reserved)?,
            backordered: plus(Total::Backordered, self.backordered, short)?,
            waiting_lines: self.waiting_lines.saturating_add(i64::from(short > 0)),
            ..*self
        };
        *self = after;
        Ok(LineOutcome {
            reserved,
            backordered: short,
        })
    }

    /// Shares what is available among waiting lines strictly in queue order
    /// (first come, first served): the head of the queue is filled before
    /// the next line gets anything, so a partial fill only ever happens to
    /// the last line served.
    pub fn allocate(&mut self, queue: &[Waiting]) -> Result<Vec<Grant>, QuantityLimit> {
        let mut after = *self;
        let mut grants = Vec::new();
        for line in queue {
            let available = after.available();
            if available == 0 {
                break;
            }
            let quantity = line.waiting.min(available);
            if quantity <= 0 {
                continue;
            }
            after.reserved = plus(Total::Reserved, after.reserved, quantity)?;
            after.backordered = minus(Total::Backordered, after.backordered, quantity)?;
            let complete = quantity == line.waiting;
            if complete {
                after.waiting_lines = after.waiting_lines.saturating_sub(1).max(0);
            }
            grants.push(Grant {
                id: line.id,
                quantity,
                complete,
            });
        }
        *self = after;
        Ok(grants)
    }

    /// Applies a manual adjustment of `delta` units.
    pub fn adjust(&mut self, delta: i64) -> Result<(), StockRefusal> {
        let on_hand_after = plus(Total::OnHand, self.on_hand, delta)?;
        if on_hand_after < self.reserved {
            return Err(StockRefusal::BelowReserved {
                on_hand_after,
                reserved: self.reserved,
            });
        }
        self.on_hand = on_hand_after;
        Ok(())
    }

    /// Books `quantity` units received.
    pub fn receive(&mut self, quantity: i64) -> Result<(), QuantityLimit> {
        self.on_hand = plus(Total::OnHand, self.on_hand, quantity)?;
        Ok(())
    }

    /// Takes `quantity` reserved units off the shelf (a shipment).
    pub fn issue(&mut self, quantity: i64) -> Result<(), QuantityLimit> {
        let after = Self {
            on_hand: minus(Total::OnHand, self.on_hand, quantity)?,
            reserved: minus(Total::Reserved, self.reserved, quantity)?,
            ..*self
        };
        *self = after;
        Ok(())
    }

    /// Gives back what a cancelled line held: `reserved` units to stock and
    /// `waiting` units out of the backlog.
    pub fn release(&mut self, reserved: i64, waiting: i64) -> Result<(), QuantityLimit> {
        let after = Self {
            reserved: minus(Total::Reserved, self.reserved, reserved)?,
            backordered: minus(Total::Backordered, self.backordered, waiting)?,
            waiting_lines: if waiting > 0 {
                self.waiting_lines.saturating_sub(1).max(0)
            } else {
                self.waiting_lines
            },
            ..*self
        };
        *self = after;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stock(on_hand: i64, reserved: i64, backordered: i64) -> StockPosition {
        StockPosition {
            on_hand,
            reserved,
            backordered,
            waiting_lines: 0,
        }
    }

    #[test]
    fn waiting_lines_are_counted_with_their_units() {
        let mut s = stock(1, 0, 0);
        s.reserve_line(3, BackorderPolicy::Allow, true)
            .expect("short line waits");
        s.reserve_line(2, BackorderPolicy::Allow, true)
            .expect("second waits");
        s.reserve_line(0, BackorderPolicy::Allow, true)
            .expect("nothing short");
        assert_eq!((s.backordered, s.waiting_lines), (4, 2));
        s.receive(3).expect("receipt");
        let grants = s
            .allocate(&[
                Waiting {
                    id: id(1),
                    waiting: 2,
                },
                Waiting {
                    id: id(2),
                    waiting: 2,
                },
            ])
            .expect("allocated");
        assert_eq!(grants.iter().filter(|g| g.complete).count(), 1);
        assert_eq!(
            (s.backordered, s.waiting_lines),
            (1, 1),
            "one line filled, one part"
        );
        s.release(1, 1).expect("the part-filled line is cancelled");
        assert_eq!((s.backordered, s.waiting_lines), (0, 0));
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn in_stock_line_is_reserved_whole() {
        let mut s = stock(10, 2, 0);
        let out = s
            .reserve_line(5, BackorderPolicy::Deny, false)
            .expect("in stock");
        assert_eq!(
            out,
            LineOutcome {
                reserved: 5,
                backordered: 0
            }
        );
        assert_eq!(s, stock(10, 7, 0));
    }

    #[test]
    fn short_line_reserves_what_is_there_and_backorders_the_rest() {
        let mut s = stock(3, 0, 4);
        let out = s
            .reserve_line(5, BackorderPolicy::Allow, true)
            .expect("backordered");
        assert_eq!(
            out,
            LineOutcome {
                reserved: 3,
                backordered: 2
            }
        );
        assert_eq!(
            s,
            StockPosition {
                waiting_lines: 1,
                ..stock(3, 3, 6)
            }
        );
    }

    #[test]
    fn deny_policy_and_declining_customer_are_stockouts() {
        let mut s = stock(1, 0, 0);
        assert_eq!(
            s.reserve_line(2, BackorderPolicy::Deny, true),
            Err(ReserveError::Stockout(Refusal::PolicyDenies { short: 1 }))
        );
        assert_eq!(
            s.reserve_line(2, BackorderPolicy::Allow, false),
            Err(ReserveError::Stockout(Refusal::CustomerDeclines {
                short: 1
            }))
        );
        assert_eq!(s, stock(1, 0, 0), "a refusal changes nothing");
    }

    #[test]
    fn cap_limits_units_waiting() {
        let mut s = stock(0, 0, 8);
        let policy = BackorderPolicy::Capped { cap: 10 };
        assert!(s.reserve_line(2, policy, true).is_ok());
        assert_eq!(
            s.reserve_line(1, policy, true),
            Err(ReserveError::Stockout(Refusal::CapReached {
                short: 1,
                room: 0
            }))
        );
    }

    #[test]
    fn a_backlog_at_the_storable_limit_refuses_instead_of_wrapping() {
        let mut s = stock(0, 0, i64::MAX - 1);
        assert_eq!(
            s.reserve_line(2, BackorderPolicy::Allow, true),
            Err(ReserveError::Limit(QuantityLimit {
                total: Total::Backordered
            }))
        );
        assert_eq!(s, stock(0, 0, i64::MAX - 1), "nothing changed");
    }

    #[test]
    fn arriving_stock_fills_the_oldest_line_first() {
        let queue = vec![
            Waiting {
                id: id(1),
                waiting: 3,
            },
            Waiting {
                id: id(2),
                waiting: 4,
            },
            Waiting {
                id: id(3),
                waiting: 2,
            },
        ];
        let mut s = stock(5, 0, 9);
        let grants = s.allocate(&queue).expect("allocated");
        assert_eq!(
            grants,
            vec![
                Grant {
                    id: id(1),
                    quantity: 3,
                    complete: true
                },
                Grant {
                    id: id(2),
                    quantity: 2,
                    complete: false
                },
            ]
        );
        assert_eq!(s, stock(5, 5, 4));
    }

    #[test]
    fn nothing_is_allocated_without_free_stock() {
        let queue = vec![Waiting {
            id: id(1),
            waiting: 3,
        }];
        let mut s = stock(4, 4, 3);
        assert!(s.allocate(&queue).expect("nothing to do").is_empty());
    }

    #[test]
    fn removal_never_goes_below_reserved() {
        let mut s = stock(5, 4, 0);
        assert_eq!(
            s.adjust(-2),
            Err(StockRefusal::BelowReserved {
                on_hand_after: 3,
                reserved: 4
            })
        );
        assert!(s.adjust(-1).is_ok());
        assert_eq!(s.on_hand, 4);
    }

    #[test]
    fn stored_totals_never_overflow() {
        let mut s = stock(i64::MAX - 1, 0, 0);
        let limit = QuantityLimit {
            total: Total::OnHand,
        };
        assert_eq!(s.adjust(2), Err(StockRefusal::Limit(limit)));
        assert_eq!(s.receive(2), Err(limit));
        assert_eq!(s, stock(i64::MAX - 1, 0, 0));
        let mut low = stock(i64::MIN + 1, 0, 0);
        assert_eq!(low.issue(2), Err(limit));
        assert_eq!(low, stock(i64::MIN + 1, 0, 0), "issue is all or nothing");
        assert_eq!(stock(i64::MIN, i64::MAX, 0).available(), 0);
    }

    #[test]
    fn issue_and_release_move_what_the_line_held() {
        let mut s = stock(10, 6, 4);
        s.issue(3).expect("issued");
        assert_eq!(s, stock(7, 3, 4));
        s.release(3, 4).expect("released");
        assert_eq!(s, stock(7, 0, 0));
    }
}
