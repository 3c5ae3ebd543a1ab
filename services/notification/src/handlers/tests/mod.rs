mod customers;
mod notices;
mod stored_codes;
mod webhook;
