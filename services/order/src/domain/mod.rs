//! Order rules, free of I/O: statuses and the line state machine, the
//! order status derived from its lines, what a ship policy allows and
//! which warehouse a parcel leaves from, what a supplier's drop shipment
//! does to the lines it carries, where lines' ready units are, the
//! bounds of what is accepted, the wording of customer notices and of the
//! timeline, the sweeper's backoff, the backorder measures and when lines
//! are charged.

pub mod changes;
pub mod charging;
pub mod commands;
pub mod delays;
pub mod drop_ship;
pub mod lifecycle;
pub mod limits;
pub mod lost_sales;
pub mod model;
pub mod notices;
pub mod placement;
pub mod stats;
pub mod status;
pub mod sweep;
pub mod timeline;
pub mod warehouses;

pub use lifecycle::{EtaNews, LineEvent, Move, ShipRefusal};
pub use model::{Line, Order, Origin, PartRefused, ShipOverrun, Shipment};
pub use status::{
    BadPolicy, LineStatus, MAX_SHIPMENTS, OrderStatus, ShipPolicy, ShipmentStatus, UnknownCode,
};
pub use warehouses::UnitsByWarehouse;
