//! Rows of `refused_order` and `lost_sale`.

/// An order refused at placement for a stockout.
pub mod refused_order {
    use sea_orm::entity::prelude::*;

    /// Row of `refused_order`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "refused_order")]
    pub struct Model {
        /// The refused order's id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub order_id: String,
        /// Units of every line.
        pub units: i64,
        /// Unix ms.
        pub refused_at: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A short line of a refused order.
pub mod lost_sale {
    use sea_orm::entity::prelude::*;

    /// Row of `lost_sale`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "lost_sale")]
    pub struct Model {
        /// The refused order's id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub order_id: String,
        /// Position of the line in the order.
        #[sea_orm(primary_key, auto_increment = false)]
        pub line_index: i32,
        /// SKU.
        pub sku: String,
        /// Reason code (see `domain::lost_sales::LostSaleReason`).
        pub reason: i32,
        /// Units ordered on the line.
        pub units: i64,
        /// Unix ms.
        pub refused_at: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
