//! The one peer procurement calls synchronously: inventory, for the demand
//! history and stock position replenishment is planned from. Everything
//! procurement tells other services goes through the outbox.

use std::time::Duration;

use backorder_platform::grpc::PeerChannel;
use backorder_platform::service::ServiceContext;
use backorder_platform::{ServiceError, ServiceResult};
use backorder_proto::Peer;
use backorder_proto::inventory::v1 as inventory_pb;
use backorder_proto::inventory::v1::inventory_service_client::InventoryServiceClient;

/// Most SKUs inventory answers for in one GetDemandHistory call.
pub const MAX_HISTORY_SKUS: usize = 100;

/// Deadline of one GetDemandHistory call: a plan's caller waits for it,
/// and the worker would rather skip a run than hang on a slow inventory.
const HISTORY_TIMEOUT: Duration = Duration::from_secs(5);

/// A typed inventory client, built once at start from the context's
/// channel; `None` when no address is configured, which every call then
/// reports as UNAVAILABLE naming the setting.
#[derive(Clone)]
pub struct Inventory {
    client: Option<InventoryServiceClient<PeerChannel>>,
}

impl Inventory {
    /// The client over `context`'s channel to inventory.
    pub fn new(context: &ServiceContext) -> Self {
        let limit = context.max_message_bytes();
        Self {
            client: context.channel(Peer::Inventory).ok().map(|channel| {
                InventoryServiceClient::new(channel)
                    .max_decoding_message_size(limit)
                    .max_encoding_message_size(limit)
            }),
        }
    }

    /// Daily demand over the last `days` days, available units and backlog
    /// of `skus` (at most [`MAX_HISTORY_SKUS`]). SKUs inventory does not
    /// know are left out. Any failure is UNAVAILABLE: the plan cannot be
    /// made without it, and asking again later is the remedy.
    pub async fn demand_history(
        &self,
        skus: Vec<String>,
        days: i32,
    ) -> ServiceResult<Vec<inventory_pb::SkuDemandHistory>> {
        let Some(client) = &self.client else {
            return Err(ServiceError::Unavailable {
                reason: "PEER_NOT_CONFIGURED",
                message: format!(
                    "no address configured for {}: set peers.inventory",
                    Peer::Inventory
                ),
            });
        };
        // A read: safe to repeat on a transient failure.
        let request = backorder_platform::retry::idempotent(
            inventory_pb::GetDemandHistoryRequest { skus, days },
            HISTORY_TIMEOUT,
        );
        let mut client = client.clone();
        client
            .get_demand_history(request)
            .await
            .map(|response| response.into_inner().skus)
            .map_err(|status| ServiceError::Unavailable {
                reason: "INVENTORY_UNAVAILABLE",
                message: format!(
                    "inventory could not give the demand history ({:?}: {}); retry later",
                    status.code(),
                    status.message()
                ),
            })
    }
}
