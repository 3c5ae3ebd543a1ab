//! Background workers. Each is registered with the service context, starts
//! once the database is migrated and returns soon after shutdown begins.

pub mod resender;

use std::time::Duration;

use backorder_platform::service::ServiceContext;

use crate::dispatch::Dispatcher;

/// Registers every worker of the service on `context`.
pub fn register(context: &ServiceContext, dispatcher: Dispatcher, resend_every: Duration) {
    context.spawn_worker("resender", move |shutdown| {
        resender::run(dispatcher, resend_every, shutdown)
    });
}
