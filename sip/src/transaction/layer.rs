//! [`Transactions`]: every transaction of one switch, the CANCEL logic of
//! RFC 3261 §9, and one timer heap with lazy invalidation.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::time::Instant;

use super::client_invite::{cancel_for, ClientInvite};
use super::client_non_invite::ClientNonInvite;
use super::key::{random_hex, ClientKey, ServerKey};
use super::routing::{response_peer, stamp_via};
use super::server_invite::ServerInvite;
use super::server_non_invite::ServerNonInvite;
use super::timer::{Config, Timer};
use super::{ClientUp, Event, Io, ServerUp, TransactionError};
use crate::{Headers, Message, Method, Peer, Request, Response, StatusCode, Transmit};

/// All transactions of one switch (RFC 3261 §17), sans-IO.
///
/// Feed it with [`handle_message`](Self::handle_message),
/// [`handle_timeout`](Self::handle_timeout) and the TU calls; drain
/// [`poll_transmit`](Self::poll_transmit) and
/// [`poll_event`](Self::poll_event); sleep until
/// [`poll_timeout`](Self::poll_timeout). Terminated transactions are
/// removed at once, so [`len`](Self::len) counts live ones.
#[derive(Debug)]
pub struct Transactions {
    out: Out,
    next_id: u64,
    txs: HashMap<u64, Tx>,
    servers: HashMap<ServerKey, u64>,
    clients: HashMap<ClientKey, u64>,
    /// Every armed timer, soonest first. Entries are not removed when a
    /// transaction moves on; they go stale (the machine no longer holds
    /// that instant for that timer) and are dropped when they reach the
    /// top, so `poll_timeout` is a peek.
    heap: BinaryHeap<Reverse<Scheduled>>,
    events: VecDeque<Event>,
}

/// What machines write to; split from the table so both can be borrowed.
#[derive(Debug)]
struct Out {
    config: Config,
    transmits: VecDeque<Transmit>,
    /// Timers armed during the current machine call, tagged afterwards.
    armed: Vec<(Instant, Timer)>,
}

impl Out {
    fn io(&mut self, now: Instant) -> Io<'_> {
        Io {
            now,
            config: &self.config,
            transmits: &mut self.transmits,
            timers: &mut self.armed,
        }
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Scheduled {
    at: Instant,
    id: u64,
    timer: Timer,
}

#[derive(Debug)]
enum Tx {
    InviteServer {
        key: ServerKey,
        machine: ServerInvite,
    },
    NonInviteServer {
        key: ServerKey,
        machine: ServerNonInvite,
    },
    InviteClient {
        key: ClientKey,
        machine: ClientInvite,
        cancel: Cancel,
    },
    NonInviteClient {
        key: ClientKey,
        machine: ClientNonInvite,
        /// A CANCEL the layer sent: its outcome is nobody's business
        /// (the INVITE's final tells the TU what happened).
        silent: bool,
    },
}

/// Where an INVITE client transaction stands with its CANCEL (§9.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cancel {
    NotAsked,
    /// Asked before any provisional: sent when one comes.
    Pending,
    /// Sent, or moot because a final came first.
    Done,
}

impl Tx {
    fn is_armed(&self, timer: Timer, at: Instant) -> bool {
        match self {
            Tx::InviteServer { machine, .. } => machine.is_armed(timer, at),
            Tx::NonInviteServer { machine, .. } => machine.is_armed(timer, at),
            Tx::InviteClient { machine, .. } => machine.is_armed(timer, at),
            Tx::NonInviteClient { machine, .. } => machine.is_armed(timer, at),
        }
    }

    fn is_terminated(&self) -> bool {
        match self {
            Tx::InviteServer { machine, .. } => machine.is_terminated(),
            Tx::NonInviteServer { machine, .. } => machine.is_terminated(),
            Tx::InviteClient { machine, .. } => machine.is_terminated(),
            Tx::NonInviteClient { machine, .. } => machine.is_terminated(),
        }
    }
}

/// Turns a client machine's outcome into an event for the TU.
fn client_event(events: &mut VecDeque<Event>, key: &ClientKey, up: ClientUp, from: Peer) {
    let key = key.clone();
    events.extend(match up {
        ClientUp::Nothing => None,
        ClientUp::Response(response) => Some(Event::Response { key, response }),
        ClientUp::Stray(response) => Some(Event::StrayResponse {
            response,
            peer: from,
        }),
        ClientUp::Timeout => Some(Event::Timeout { key }),
        ClientUp::TransportError => Some(Event::TransportError { key }),
    });
}

fn to_tag(headers: &Headers) -> Option<String> {
    headers.to().ok()?.tag().map(str::to_owned)
}

impl Transactions {
    /// An empty layer.
    pub fn new(config: Config) -> Transactions {
        Transactions {
            out: Out {
                config,
                transmits: VecDeque::new(),
                armed: Vec::new(),
            },
            next_id: 0,
            txs: HashMap::new(),
            servers: HashMap::new(),
            clients: HashMap::new(),
            heap: BinaryHeap::new(),
            events: VecDeque::new(),
        }
    }

    /// Feeds a message received from `peer`. Requests get their top Via
    /// stamped (`received`/`rport`, RFC 3261 §18.2.1, RFC 3581) first.
    /// A request too broken to match (no Via, or for an RFC 2543 peer no
    /// From, Call-ID or CSeq) is dropped: it cannot be answered either.
    pub fn handle_message(&mut self, now: Instant, message: Message, peer: Peer) {
        match message {
            Message::Request(mut request) => {
                stamp_via(&mut request, peer.addr);
                self.on_request(now, request, peer);
            }
            Message::Response(response) => self.on_response(now, response, peer),
        }
        self.prune();
    }

    /// Starts a client transaction (INVITE or non-INVITE; an ACK is sent
    /// statelessly). The request must carry a top Via with an RFC 3261
    /// branch (use [`new_branch`](super::new_branch)); if it does not, or
    /// the branch is in use, nothing is sent and an
    /// [`Event::TransportError`] for the returned key is queued
    /// ([`try_send_request`](Self::try_send_request) says why instead).
    pub fn send_request(&mut self, now: Instant, request: Request, peer: Peer) -> ClientKey {
        let key = ClientKey::for_request(&request);
        if self.try_send_request(now, request, peer).is_err() {
            self.events
                .push_back(Event::TransportError { key: key.clone() });
        }
        key
    }

    /// [`send_request`](Self::send_request), refusing with an error
    /// rather than an event.
    pub fn try_send_request(
        &mut self,
        now: Instant,
        request: Request,
        peer: Peer,
    ) -> Result<ClientKey, TransactionError> {
        let key = ClientKey::for_request(&request);
        if *request.method() == Method::ACK {
            self.send_stateless(Message::Request(request), peer);
            return Ok(key);
        }
        if !key.is_usable() {
            return Err(TransactionError::NoBranch);
        }
        if self.clients.contains_key(&key) {
            return Err(TransactionError::BranchInUse);
        }
        self.start_client(now, key.clone(), request, peer, false);
        self.prune();
        Ok(key)
    }

    fn start_client(
        &mut self,
        now: Instant,
        key: ClientKey,
        request: Request,
        peer: Peer,
        silent: bool,
    ) {
        let mut io = self.out.io(now);
        let tx = if *request.method() == Method::INVITE {
            Tx::InviteClient {
                key: key.clone(),
                machine: ClientInvite::start(request, peer, &mut io),
                cancel: Cancel::NotAsked,
            }
        } else {
            Tx::NonInviteClient {
                key: key.clone(),
                machine: ClientNonInvite::start(request, peer, &mut io),
                silent,
            }
        };
        let id = self.insert(tx);
        self.clients.insert(key, id);
        self.settle(id);
    }

    /// Sends a response on a server transaction (provisionals and the
    /// final; after a 2xx, only 2xx retransmissions).
    pub fn respond(
        &mut self,
        now: Instant,
        key: &ServerKey,
        response: Response,
    ) -> Result<(), TransactionError> {
        let id = *self
            .servers
            .get(key)
            .ok_or(TransactionError::NoSuchTransaction)?;
        let mut io = self.out.io(now);
        let result = match self.txs.get_mut(&id) {
            Some(Tx::InviteServer { machine, .. }) => machine.respond(response, &mut io),
            Some(Tx::NonInviteServer { machine, .. }) => machine.respond(response, &mut io),
            _ => Err(TransactionError::NoSuchTransaction),
        };
        self.settle(id);
        self.prune();
        result
    }

    /// Cancels an INVITE client transaction (RFC 3261 §9.1): builds the
    /// CANCEL from the stored INVITE and sends it on its own non-INVITE
    /// client transaction, whose outcome is absorbed. Before any
    /// provisional the CANCEL is held and sent when one comes; after a
    /// final (or a second time) nothing is sent and the answer is `Ok`.
    pub fn cancel(&mut self, now: Instant, key: &ClientKey) -> Result<(), TransactionError> {
        let id = *self
            .clients
            .get(key)
            .ok_or(TransactionError::NoSuchTransaction)?;
        let (request, peer) = match self.txs.get_mut(&id) {
            Some(Tx::InviteClient {
                machine, cancel, ..
            }) => {
                if *cancel != Cancel::NotAsked {
                    return Ok(());
                }
                if machine.is_calling() {
                    *cancel = Cancel::Pending;
                    return Ok(());
                }
                *cancel = Cancel::Done;
                if !machine.is_proceeding() {
                    return Ok(());
                }
                let request =
                    cancel_for(machine.request()).ok_or(TransactionError::CannotCancel)?;
                machine.cancel_sent(&mut self.out.io(now));
                (request, machine.peer())
            }
            Some(_) => return Err(TransactionError::NotInvite),
            None => return Err(TransactionError::NoSuchTransaction),
        };
        self.settle(id);
        self.start_client(now, key.cancel(), request, peer, true);
        self.prune();
        Ok(())
    }

    /// Sends outside any transaction: the ACK for a 2xx, stateless
    /// responses (a `400` to a malformed request, a `503` when shedding
    /// load; [`response_peer`](super::response_peer) says where).
    pub fn send_stateless(&mut self, message: Message, peer: Peer) {
        self.out.transmits.push_back(Transmit { peer, message });
    }

    /// The driver reports that sending on a client transaction failed
    /// (e.g. TCP connect refused): the TU hears [`Event::TransportError`]
    /// if it still waits for a final response.
    pub fn transport_failed(&mut self, now: Instant, key: &ClientKey) {
        let _ = now;
        let Some(&id) = self.clients.get(key) else {
            return;
        };
        match self.txs.get_mut(&id) {
            Some(Tx::InviteClient { key, machine, .. }) => {
                let up = machine.transport_failed();
                client_event(&mut self.events, key, up, machine.peer());
            }
            Some(Tx::NonInviteClient {
                key,
                machine,
                silent,
            }) => {
                let up = machine.transport_failed();
                if !*silent {
                    client_event(&mut self.events, key, up, machine.peer());
                }
            }
            _ => {}
        }
        self.settle(id);
        self.prune();
    }

    /// Fires every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Reverse(top)) = self.heap.peek() {
            if top.at > now {
                break;
            }
            let Some(Reverse(Scheduled { at, id, timer })) = self.heap.pop() else {
                break;
            };
            self.fire(now, id, timer, at);
        }
        self.prune();
    }

    fn fire(&mut self, now: Instant, id: u64, timer: Timer, at: Instant) {
        let mut io = self.out.io(now);
        let events = &mut self.events;
        match self.txs.get_mut(&id) {
            Some(tx) if tx.is_armed(timer, at) => match tx {
                Tx::InviteServer { key, machine } => {
                    if let ServerUp::AckTimeout = machine.on_timer(timer, &mut io) {
                        events.push_back(Event::AckTimeout { key: key.clone() });
                    }
                }
                Tx::NonInviteServer { machine, .. } => machine.on_timer(timer),
                Tx::InviteClient { key, machine, .. } => {
                    let up = machine.on_timer(timer, &mut io);
                    client_event(events, key, up, machine.peer());
                }
                Tx::NonInviteClient {
                    key,
                    machine,
                    silent,
                } => {
                    let up = machine.on_timer(timer, &mut io);
                    if !*silent {
                        client_event(events, key, up, machine.peer());
                    }
                }
            },
            _ => return,
        }
        self.settle(id);
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next run.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse(s)| s.at)
    }

    /// The next message to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.out.transmits.pop_front()
    }

    /// The next event for the TU.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Live transactions (for metrics and leak tests).
    pub fn len(&self) -> usize {
        self.txs.len()
    }

    /// Whether no transaction is live.
    pub fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }

    /// The config in use.
    pub fn config(&self) -> &Config {
        &self.out.config
    }

    fn on_request(&mut self, now: Instant, request: Request, source: Peer) {
        let Some(key) = ServerKey::for_request(&request) else {
            return;
        };
        let found = self.servers.get(&key).copied();
        if *request.method() == Method::ACK {
            return self.on_ack(now, &key, found, request, source);
        }
        if let Some(id) = found {
            let mut io = self.out.io(now);
            match self.txs.get_mut(&id) {
                Some(Tx::InviteServer { machine, .. }) => machine.on_retransmission(&mut io),
                Some(Tx::NonInviteServer { machine, .. }) => machine.on_retransmission(&mut io),
                _ => {}
            }
            return self.settle(id);
        }
        if *request.method() == Method::CANCEL {
            return self.on_cancel(now, key, request, source);
        }
        let dest = response_peer(&request, source);
        let tx = if *request.method() == Method::INVITE {
            let machine = ServerInvite::start(&request, dest, &mut self.out.io(now));
            Tx::InviteServer {
                key: key.clone(),
                machine,
            }
        } else {
            Tx::NonInviteServer {
                key: key.clone(),
                machine: ServerNonInvite::new(dest),
            }
        };
        let id = self.insert(tx);
        self.servers.insert(key.clone(), id);
        self.events.push_back(Event::Request {
            key,
            request,
            peer: source,
        });
    }

    /// §17.2.1: an ACK for our non-2xx final is absorbed; one in Accepted
    /// (RFC 6026) or matching nothing (the ACK of a 2xx) goes to the TU.
    fn on_ack(
        &mut self,
        now: Instant,
        key: &ServerKey,
        found: Option<u64>,
        ack: Request,
        source: Peer,
    ) {
        let Some((id, Tx::InviteServer { machine, .. })) =
            found.and_then(|id| Some((id, self.txs.get_mut(&id)?)))
        else {
            self.events.push_back(Event::Ack {
                request: ack,
                peer: source,
            });
            return;
        };
        // §17.2.3, RFC 2543 peers: the ACK also carries the To tag of the
        // response it acknowledges.
        if key.is_rfc2543() {
            if let Some(last) = machine.last_response() {
                if to_tag(last.headers()) != to_tag(ack.headers()) {
                    self.events.push_back(Event::Ack {
                        request: ack,
                        peer: source,
                    });
                    return;
                }
            }
        }
        if let ServerUp::Ack(request) = machine.on_ack(ack, &mut self.out.io(now)) {
            self.events.push_back(Event::Ack {
                request,
                peer: source,
            });
        }
        self.settle(id);
    }

    /// RFC 3261 §9.2: a CANCEL gets its own server transaction, answered
    /// here: `200` when it matches an INVITE server transaction (any
    /// state), `481` otherwise. Only an INVITE still in Proceeding is the
    /// TU's concern ([`Event::Cancelled`]).
    fn on_cancel(&mut self, now: Instant, key: ServerKey, cancel: Request, source: Peer) {
        let invite = key.with_method(Method::INVITE);
        let (status, tag, cancelled) =
            match self.servers.get(&invite).and_then(|id| self.txs.get(id)) {
                Some(Tx::InviteServer { machine, .. }) => (
                    StatusCode::OK,
                    // §9.2: the CANCEL's 200 SHOULD carry the INVITE's To tag;
                    // the latest provisional's is the best known.
                    machine.last_response().and_then(|r| to_tag(r.headers())),
                    machine.is_proceeding(),
                ),
                _ => (StatusCode::CALL_DOES_NOT_EXIST, None, false),
            };
        let mut response = Response::for_request(&cancel, status, status.canonical_reason());
        let _ = response.set_to_tag(&tag.unwrap_or_else(random_hex));
        let mut machine = ServerNonInvite::new(response_peer(&cancel, source));
        let _ = machine.respond(response, &mut self.out.io(now));
        let id = self.insert(Tx::NonInviteServer {
            key: key.clone(),
            machine,
        });
        self.servers.insert(key, id);
        self.settle(id);
        if cancelled {
            self.events.push_back(Event::Cancelled { invite });
        }
    }

    fn on_response(&mut self, now: Instant, response: Response, source: Peer) {
        let found = ClientKey::for_response(&response).and_then(|k| self.clients.get(&k).copied());
        let mut io = self.out.io(now);
        let mut send_cancel = None;
        let settled = match found.and_then(|id| Some((id, self.txs.get_mut(&id)?))) {
            Some((
                id,
                Tx::InviteClient {
                    key,
                    machine,
                    cancel,
                },
            )) => {
                let up = machine.on_response(response, &mut io);
                if *cancel == Cancel::Pending && !machine.is_calling() {
                    // §9.1: the held CANCEL goes with the first provisional;
                    // a final first makes it moot.
                    *cancel = Cancel::Done;
                    if machine.is_proceeding() {
                        send_cancel = cancel_for(machine.request())
                            .map(|r| (key.cancel(), r, machine.peer()));
                        machine.cancel_sent(&mut io);
                    }
                }
                client_event(&mut self.events, key, up, source);
                Some(id)
            }
            Some((
                id,
                Tx::NonInviteClient {
                    key,
                    machine,
                    silent,
                },
            )) => {
                let up = machine.on_response(response, &mut io);
                if !*silent {
                    client_event(&mut self.events, key, up, source);
                }
                Some(id)
            }
            _ => {
                // §18.1.2 passes strays to the core, which can only act on a
                // final (ACK and BYE a 2xx); a stray 1xx, such as a late 180
                // after the transaction ended, is dropped here.
                if response.status().is_final() {
                    self.events.push_back(Event::StrayResponse {
                        response,
                        peer: source,
                    });
                }
                None
            }
        };
        if let Some(id) = settled {
            self.settle(id);
        }
        if let Some((key, request, peer)) = send_cancel {
            self.start_client(now, key, request, peer, true);
        }
    }

    fn insert(&mut self, tx: Tx) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.txs.insert(id, tx);
        id
    }

    /// After a machine ran: schedule the timers it armed, and remove it
    /// if it terminated.
    fn settle(&mut self, id: u64) {
        for (at, timer) in self.out.armed.drain(..) {
            self.heap.push(Reverse(Scheduled { at, id, timer }));
        }
        if self.txs.get(&id).is_some_and(Tx::is_terminated) {
            match self.txs.remove(&id) {
                Some(Tx::InviteServer { key, .. } | Tx::NonInviteServer { key, .. }) => {
                    self.servers.remove(&key);
                }
                Some(Tx::InviteClient { key, .. } | Tx::NonInviteClient { key, .. }) => {
                    self.clients.remove(&key);
                }
                None => {}
            }
        }
    }

    /// Drops stale timers from the top of the heap, so that
    /// [`poll_timeout`](Self::poll_timeout) is exact.
    fn prune(&mut self) {
        while let Some(Reverse(top)) = self.heap.peek() {
            if self
                .txs
                .get(&top.id)
                .is_some_and(|tx| tx.is_armed(top.timer, top.at))
            {
                break;
            }
            self.heap.pop();
        }
    }
}
