//! The client registry: adding and removing clients, and output queued for
//! a client out of band.

use super::Engine;
use crate::client::{Client, ClientId};
use ember_resp::Reply;

impl Engine {
    /// Registers a new client and returns its id.
    pub fn add_client(&mut self) -> ClientId {
        let id = self.next_client_id;
        self.next_client_id += 1;
        let now = self.now_ms();
        let mut c = Client::new(id, now);
        c.authenticated = self.acl.default_is_open();
        self.clients.insert(id, c);
        self.account_client_memory(id);
        id
    }

    /// False while the default user needs a password (`requirepass`, or ACL
    /// rules) and the client has not authenticated (Redis's authRequired):
    /// only NO_AUTH commands may run.
    pub fn is_authenticated(&self, id: ClientId) -> bool {
        // The client's flag first: a field read, where the ACL look is a map search.
        self.clients.get(&id).is_some_and(|c| c.authenticated) || self.acl.default_is_open()
    }

    pub fn remove_client(&mut self, id: ClientId) {
        self.unaccount_client(id);
        crate::tracking::disable(self, id);
        crate::pubsub::forget_client(self, id);
        self.monitors.retain(|&m| m != id);
        crate::multi::forget_client(self, id);
        crate::blocking::forget_client(self, id);
        self.clients.remove(&id);
    }

    pub fn client_mut(&mut self, id: ClientId) -> Option<&mut Client> {
        self.clients.get_mut(&id)
    }

    /// Queues `reply` for client `id` out of band (pub/sub message, reply of an
    /// unblocked command), in that client's protocol, and wakes its front end.
    pub fn push_to_client(&mut self, id: ClientId, reply: &Reply) {
        if let Some(c) = self.clients.get_mut(&id) {
            ember_resp::encode(reply, c.proto, &mut c.pending);
            let now = self.clock.now_ms();
            let limits = &self.config.client_output_buffer_limit;
            pushed(
                c,
                limits,
                now,
                &mut self.pubsub.obuf_limit_disconnections,
                &mut self.clients_memory,
            );
        }
    }

    /// Queues already-encoded output for client `id`, as `push_to_client`.
    pub(crate) fn push_bytes_to_client(&mut self, id: ClientId, bytes: &[u8]) {
        if let Some(c) = self.clients.get_mut(&id) {
            c.pending.extend_from_slice(bytes);
            let now = self.clock.now_ms();
            let limits = &self.config.client_output_buffer_limit;
            pushed(
                c,
                limits,
                now,
                &mut self.pubsub.obuf_limit_disconnections,
                &mut self.clients_memory,
            );
        }
    }

    /// Takes the output queued for client `id` by [`Engine::push_to_client`].
    pub fn take_pending(&mut self, id: ClientId) -> Vec<u8> {
        self.clients
            .get_mut(&id)
            .map(|c| std::mem::take(&mut c.pending))
            .unwrap_or_default()
    }
}

/// After output was queued for `c`: the output-buffer limits (counting a
/// disconnection), then a wake-up for its front end.
fn pushed(
    c: &mut Client,
    limits: &[crate::config::ObufLimit; 3],
    now: i64,
    disconnections: &mut u64,
    memory: &mut crate::client_memory::ClientsMemory,
) {
    if crate::pubsub::check_output_limit(c, limits, now) {
        *disconnections += 1;
    }
    crate::client_memory::account(memory, c);
    c.wake();
}
