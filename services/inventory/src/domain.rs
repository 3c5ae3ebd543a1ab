//! Inventory rules, free of I/O: how a line is reserved or backordered, how
//! arriving stock is shared among waiting lines, and when stock may move.

/// What happens when an order asks for more than is available.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackorderPolicy {
    /// Any shortage is backordered.
    Allow,
    /// A shortage is a stockout.
    Deny,
    /// Shortages are backordered while the units waiting stay within `cap`.
    Capped {
        /// Most units that may wait at once.
        cap: i64,
    },
}

impl BackorderPolicy {
    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::Allow => 1,
            Self::Deny => 2,
            Self::Capped { .. } => 3,
        }
    }

    /// The cap, 0 unless capped.
    pub fn cap(self) -> i64 {
        match self {
            Self::Capped { cap } => cap,
            _ => 0,
        }
    }

    /// From the stored code and cap.
    pub fn from_parts(code: i32, cap: i64) -> Option<Self> {
        match code {
            1 => Some(Self::Allow),
            2 => Some(Self::Deny),
            3 => Some(Self::Capped { cap }),
            _ => None,
        }
    }
}

/// Quantities of one SKU in one warehouse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct StockPosition {
    /// Physically on hand.
    pub on_hand: i64,
    /// On hand and promised to lines.
    pub reserved: i64,
    /// Promised to lines, not yet on hand.
    pub backordered: i64,
}

impl StockPosition {
    /// What a new order can take now.
    pub fn available(&self) -> i64 {
        (self.on_hand - self.reserved).max(0)
    }
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

impl Refusal {
    /// Person-readable explanation.
    pub fn describe(&self, sku: &str) -> String {
        match self {
            Self::PolicyDenies { short } => {
                format!("{sku} is {short} short and its policy does not allow backorders")
            }
            Self::CustomerDeclines { short } => {
                format!("{sku} is {short} short and the order does not accept backorders")
            }
            Self::CapReached { short, room } => format!(
                "{sku} is {short} short but only {room} more may be backordered (cap reached)"
            ),
        }
    }
}

/// Decides how a line of `quantity` is served from `stock` and updates it.
pub fn reserve_line(
    quantity: i64,
    stock: &mut StockPosition,
    policy: BackorderPolicy,
    accept_backorders: bool,
) -> Result<LineOutcome, Refusal> {
    let reserved = quantity.min(stock.available());
    let short = quantity - reserved;
    if short > 0 {
        if !accept_backorders {
            return Err(Refusal::CustomerDeclines { short });
        }
        match policy {
            BackorderPolicy::Allow => {}
            BackorderPolicy::Deny => return Err(Refusal::PolicyDenies { short }),
            BackorderPolicy::Capped { cap } => {
                let room = (cap - stock.backordered).max(0);
                if short > room {
                    return Err(Refusal::CapReached { short, room });
                }
            }
        }
    }
    stock.reserved += reserved;
    stock.backordered += short;
    Ok(LineOutcome {
        reserved,
        backordered: short,
    })
}

/// A line waiting for stock, in queue order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    /// Reservation id.
    pub id: String,
    /// Units it still waits for.
    pub waiting: i64,
}

/// Stock given to one waiting line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// Reservation id.
    pub id: String,
    /// Units given.
    pub quantity: i64,
    /// Whether the line now has everything.
    pub complete: bool,
}

/// Shares what is available among waiting lines strictly in queue order
/// (first come, first served): the head of the queue is filled before the
/// next line gets anything, so a partial fill only ever happens to the last
/// line served. Updates `stock`.
pub fn allocate(stock: &mut StockPosition, queue: &[Waiting]) -> Vec<Grant> {
    let mut grants = Vec::new();
    for line in queue {
        let available = stock.available();
        if available == 0 {
            break;
        }
        let quantity = line.waiting.min(available);
        if quantity <= 0 {
            continue;
        }
        stock.reserved += quantity;
        stock.backordered -= quantity;
        grants.push(Grant {
            id: line.id.clone(),
            quantity,
            complete: quantity == line.waiting,
        });
    }
    grants
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
}

/// Applies a manual adjustment of `delta` units.
pub fn adjust(stock: &mut StockPosition, delta: i64) -> Result<(), StockRefusal> {
    let on_hand_after = stock.on_hand + delta;
    if on_hand_after < stock.reserved {
        return Err(StockRefusal::BelowReserved {
            on_hand_after,
            reserved: stock.reserved,
        });
    }
    stock.on_hand = on_hand_after;
    Ok(())
}

/// State of a reservation, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReservationState {
    /// Part of the line waits for stock.
    Waiting,
    /// The whole line is reserved.
    Allocated,
    /// Shipped.
    Issued,
    /// Cancelled.
    Released,
}

impl ReservationState {
    /// Stored code (the proto enum number).
    pub fn code(self) -> i32 {
        match self {
            Self::Waiting => 1,
            Self::Allocated => 2,
            Self::Issued => 3,
            Self::Released => 4,
        }
    }

    /// From the stored code.
    pub fn from_code(code: i32) -> Option<Self> {
        match code {
            1 => Some(Self::Waiting),
            2 => Some(Self::Allocated),
            3 => Some(Self::Issued),
            4 => Some(Self::Released),
            _ => None,
        }
    }

    /// The state of an open line that still waits for `waiting` units.
    pub fn open(waiting: i64) -> Self {
        if waiting > 0 {
            Self::Waiting
        } else {
            Self::Allocated
        }
    }
}

/// Highest backorder priority; 0, the default, is first come, first served.
pub const MAX_PRIORITY: i32 = 1000;

/// Whether `priority` is one a waiting line may take.
pub fn valid_priority(priority: i32) -> bool {
    (0..=MAX_PRIORITY).contains(&priority)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stock(on_hand: i64, reserved: i64, backordered: i64) -> StockPosition {
        StockPosition {
            on_hand,
            reserved,
            backordered,
        }
    }

    #[test]
    fn in_stock_line_is_reserved_whole() {
        let mut s = stock(10, 2, 0);
        let out = reserve_line(5, &mut s, BackorderPolicy::Deny, false).expect("in stock");
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
        let out = reserve_line(5, &mut s, BackorderPolicy::Allow, true).expect("backordered");
        assert_eq!(
            out,
            LineOutcome {
                reserved: 3,
                backordered: 2
            }
        );
        assert_eq!(s, stock(3, 3, 6));
    }

    #[test]
    fn deny_policy_and_declining_customer_are_stockouts() {
        let mut s = stock(1, 0, 0);
        assert_eq!(
            reserve_line(2, &mut s, BackorderPolicy::Deny, true),
            Err(Refusal::PolicyDenies { short: 1 })
        );
        assert_eq!(
            reserve_line(2, &mut s, BackorderPolicy::Allow, false),
            Err(Refusal::CustomerDeclines { short: 1 })
        );
        assert_eq!(s, stock(1, 0, 0), "a refusal changes nothing");
    }

    #[test]
    fn cap_limits_units_waiting() {
        let mut s = stock(0, 0, 8);
        let policy = BackorderPolicy::Capped { cap: 10 };
        assert!(reserve_line(2, &mut s, policy, true).is_ok());
        assert_eq!(
            reserve_line(1, &mut s, policy, true),
            Err(Refusal::CapReached { short: 1, room: 0 })
        );
    }

    #[test]
    fn arriving_stock_fills_the_oldest_line_first() {
        let queue = vec![
            Waiting {
                id: "a".into(),
                waiting: 3,
            },
            Waiting {
                id: "b".into(),
                waiting: 4,
            },
            Waiting {
                id: "c".into(),
                waiting: 2,
            },
        ];
        let mut s = stock(5, 0, 9);
        let grants = allocate(&mut s, &queue);
        assert_eq!(
            grants,
            vec![
                Grant {
                    id: "a".into(),
                    quantity: 3,
                    complete: true
                },
                Grant {
                    id: "b".into(),
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
            id: "a".into(),
            waiting: 3,
        }];
        let mut s = stock(4, 4, 3);
        assert!(allocate(&mut s, &queue).is_empty());
    }

    #[test]
    fn removal_never_goes_below_reserved() {
        let mut s = stock(5, 4, 0);
        assert_eq!(
            adjust(&mut s, -2),
            Err(StockRefusal::BelowReserved {
                on_hand_after: 3,
                reserved: 4
            })
        );
        assert!(adjust(&mut s, -1).is_ok());
        assert_eq!(s.on_hand, 4);
    }

    #[test]
    fn policy_and_state_codes_round_trip() {
        for p in [
            BackorderPolicy::Allow,
            BackorderPolicy::Deny,
            BackorderPolicy::Capped { cap: 7 },
        ] {
            assert_eq!(BackorderPolicy::from_parts(p.code(), p.cap()), Some(p));
        }
        for s in [
            ReservationState::Waiting,
            ReservationState::Allocated,
            ReservationState::Issued,
            ReservationState::Released,
        ] {
            assert_eq!(ReservationState::from_code(s.code()), Some(s));
        }
        assert_eq!(ReservationState::open(0), ReservationState::Allocated);
    }

    #[test]
    fn priorities_run_from_first_come_to_the_cap() {
        assert!(valid_priority(0));
        assert!(valid_priority(MAX_PRIORITY));
        assert!(!valid_priority(-1));
        assert!(!valid_priority(MAX_PRIORITY + 1));
    }
}
