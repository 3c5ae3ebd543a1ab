//! CreateProduct, GetProduct, ListProducts.

use backorder_platform::ServiceResult;
use backorder_platform::paging::PageRequest;
use backorder_platform::time::now_ms;
use backorder_platform::unit_of_work::Work;
use backorder_proto::inventory::v1 as pb;

use super::{InventoryApi, product_after_move};
use crate::convert::{self, NewProduct};
use crate::domain::{InboundSupply, Product, SkuStock};
use crate::store::queries;
use crate::wording;

impl InventoryApi {
    /// The `CreateProduct` RPC.
    pub async fn create_product(
        &self,
        req: pb::CreateProductRequest,
    ) -> ServiceResult<pb::CreateProductResponse> {
        let new = NewProduct::try_from(&req)?;
        self.context
            .execute(&req, move |work| Box::pin(create(work, new)))
            .await
    }

    /// The `GetProduct` RPC.
    pub async fn get_product(
        &self,
        req: pb::GetProductRequest,
    ) -> ServiceResult<pb::GetProductResponse> {
        let sku = convert::parse_sku(&req.sku)?;
        let db = &self.context.db;
        let product = queries::find_product(db, &sku)
            .await?
            .ok_or_else(|| wording::product_not_found(&sku))?;
        let stock = queries::find_stock(db, &sku)
            .await?
            .unwrap_or_else(SkuStock::empty);
        Ok(pb::GetProductResponse {
            product: Some(convert::product(&product, &stock)),
        })
    }

    /// The `SetDropShip` RPC: procurement's word on whether the SKU's
    /// preferred supplier ships it straight to customers.
    pub async fn set_drop_ship(
        &self,
        req: pb::SetDropShipRequest,
    ) -> ServiceResult<pb::SetDropShipResponse> {
        let sku = convert::parse_sku(&req.sku)?;
        let drop_ship = req.drop_ship;
        self.context
            .execute(&req, move |work| {
                Box::pin(async move {
                    work.set_resource(sku.clone());
                    if !queries::set_drop_ship(work.db(), &sku, drop_ship).await? {
                        // Not drop-shipping a SKU never stocked here is
                        // already true; only a real change needs the SKU.
                        if drop_ship {
                            return Err(wording::product_not_found(&sku));
                        }
                        return Ok(pb::SetDropShipResponse::default());
                    }
                    let stock = queries::find_stock(work.db(), &sku)
                        .await?
                        .unwrap_or_else(SkuStock::empty);
                    Ok(pb::SetDropShipResponse {
                        product: Some(product_after_move(work.db(), &sku, &stock).await?),
                    })
                })
            })
            .await
    }

    /// The `ListProducts` RPC.
    pub async fn list_products(
        &self,
        req: pb::ListProductsRequest,
    ) -> ServiceResult<pb::ListProductsResponse> {
        let page = PageRequest::parse(req.page_size, &req.page_token)?;
        let db = &self.context.db;
        let rows = queries::list_products(db, page.after.as_deref(), page.fetch_limit()).await?;
        let (rows, next_page_token) = page.finish(rows, |p| p.sku.clone());
        let skus: Vec<&str> = rows.iter().map(|p| p.sku.as_str()).collect();
        let stocks = queries::find_stocks(db, &skus).await?;
        let empty = SkuStock::empty();
        let products = rows
            .iter()
            .map(|p| convert::product(p, stocks.get(&p.sku).unwrap_or(&empty)))
            .collect();
        Ok(pb::ListProductsResponse {
            products,
            next_page_token,
        })
    }
}

async fn create(work: &Work, new: NewProduct) -> ServiceResult<pb::CreateProductResponse> {
    if queries::find_product(work.db(), &new.sku).await?.is_some() {
        return Err(wording::sku_exists(&new.sku));
    }
    let product = Product {
        sku: new.sku,
        name: new.name,
        policy: new.policy,
        created_at: now_ms(),
        drop_ship: false,
        price_minor: new.price_minor,
        supply: InboundSupply::default(),
    };
    let stock = queries::insert_product(work.db(), &product).await?;
    work.set_resource(product.sku.clone());
    Ok(pb::CreateProductResponse {
        product: Some(convert::product(&product, &stock)),
    })
}
