//! gRPC handlers, one file per RPC family. Each reads like a recipe: parse
//! the request ([`crate::convert`]), run one unit of work, convert the
//! answer. Rules live in [`crate::domain`], channels in [`crate::sink`],
//! sending in [`crate::dispatch`].

mod customers;
mod notices;
#[cfg(test)]
mod tests;

use backorder_platform::service::ServiceContext;

use crate::dispatch::Dispatcher;
use crate::sink::Sinks;

/// The notification gRPC service.
#[derive(Clone)]
pub struct NotificationApi {
    context: ServiceContext,
    dispatcher: Dispatcher,
}

impl NotificationApi {
    /// Serves from the service's database, delivering through `sinks`.
    pub fn new(context: ServiceContext, sinks: Sinks) -> Self {
        Self {
            dispatcher: Dispatcher::new(context.clone(), sinks),
            context,
        }
    }

    /// What sends this service's deliveries (shared with the resender).
    pub fn dispatcher(&self) -> &Dispatcher {
        &self.dispatcher
    }
}
