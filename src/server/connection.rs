//! One client connection: its input, its replies, and the order in which its commands run.
//!
//! Owns: `Conn` (the parser state, the query buffer, the reply buffer, the client's state) and
//! the rule that a connection runs its commands one after the other: commands that can run at
//! once run inline in the network driver's turn; commands owned by other shards, and multi-key
//! commands spread over shards, join a `Pipeline` round (one message per shard, answered by a
//! message back, see `pipeline`); the first one that must wait otherwise (EXEC over shards, a
//! blocking command) moves the rest of the connection's input to a task of its own, which
//! hands the connection back once its input is drained. Replies always leave in request order.
//! Lives on: the executor the connection was placed on (see `net::placement`).

use bytes::{Bytes, BytesMut};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use super::client::ClientState;
use super::dispatch::{dispatch_in_round, dispatch_into, Order, Step};
use super::pipeline::{self, Pipeline};
use super::prefetch;
use super::runtime::note_activity;
use super::shards::ShardId;
use crate::commands::table::CmdResult;
use crate::protocol::encoder::encode;
use crate::protocol::parser::{ParseLimits, RequestParser};
use crate::protocol::reply::Reply;

/// A shared handle to a connection: the driver and, while it runs, the connection's task.
pub type ConnRef = Rc<RefCell<Conn>>;

/// One client connection.
pub struct Conn {
    /// The driver's token for this connection.
    pub token: u64,
    /// What commands see of the connection.
    pub client: ClientState,
    /// Bytes received and not parsed yet.
    pub inbuf: BytesMut,
    /// Parser progress through `inbuf`.
    pub parser: RequestParser,
    /// Replies not handed to the kernel yet.
    pub out: Vec<u8>,
    /// True while a task or a pipeline round runs this connection's commands (the driver must
    /// not).
    pub busy: bool,
    /// The pipeline round away at other shards, and what was parsed after it.
    in_flight: Option<(Pipeline, Next)>,
    /// The current command's arguments; kept between commands so that parsing allocates
    /// nothing.
    argv: Vec<Bytes>,
}

/// What running the ready input led to.
enum Next {
    /// Everything parsable ran; waiting for more input.
    Idle,
    /// A command must wait; its future answers it.
    Wait(futures_lite::future::BoxedLocal<CmdResult>),
    /// EXEC must lock other shards first.
    Exec(Vec<Vec<Bytes>>),
    /// A pipeline round must go to other shards; then what follows it.
    Round(Pipeline, Box<Next>),
}

impl Next {
    /// The future that answers the waiting command, for connection `conn`.
    fn into_future(self, conn: &ConnRef) -> Option<futures_lite::future::BoxedLocal<CmdResult>> {
        match self {
            Next::Idle | Next::Round(..) => None,
            Next::Wait(f) => Some(f),
            Next::Exec(commands) => Some(Box::pin(super::transaction::exec_locked(
                conn.clone(),
                commands,
            ))),
        }
    }
}

thread_local! {
    /// Connections of this executor whose replies a task produced since the driver's last turn.
    static READY_TO_FLUSH: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
    /// Every open connection of this executor, by client id (CLIENT LIST, CLIENT KILL).
    static REGISTRY: RefCell<HashMap<u64, Weak<RefCell<Conn>>>> = RefCell::new(HashMap::new());
}

impl Conn {
    /// A new connection.
    pub fn new(token: u64, client: ClientState) -> ConnRef {
        let id = client.id;
        let mut parser = RequestParser::new();
        parser.set_auth_required(!client.authenticated);
        let c = Rc::new(RefCell::new(Conn {
            token,
            client,
            inbuf: BytesMut::with_capacity(16 * 1024),
            parser,
            out: Vec::with_capacity(16 * 1024),
            busy: false,
            in_flight: None,
            argv: Vec::with_capacity(8),
        }));
        REGISTRY.with(|r| r.borrow_mut().insert(id, Rc::downgrade(&c)));
        c
    }

    /// Bytes received and not run yet (the client's query buffer, as CLIENT LIST counts it).
    pub fn query_buffer_len(&self) -> usize {
        self.inbuf.len() + self.parser.pending_bytes()
    }

    /// True once the connection must close after its pending replies are sent.
    pub fn closing(&self) -> bool {
        self.client.close_after_reply
    }

    fn write(&mut self, reply: &Reply) {
        write_reply(&mut self.out, self.client.resp, reply);
    }

    /// Runs commands from the input until it is exhausted or one must wait. Commands for other
    /// shards gather into a pipeline round, which ends at the first command that must wait
    /// otherwise.
    fn run_ready(&mut self) -> Next {
        let limits = ParseLimits {
            max_bulk_len: crate::config::live::proto_max_bulk_len(),
            ..ParseLimits::default()
        };
        let mut round = Pipeline::default();
        let next = loop {
            if self.client.close_after_reply || round.len() >= pipeline::MAX_COMMANDS {
                break Next::Idle;
            }
            self.argv.clear();
            match self
                .parser
                .parse_into(&mut self.inbuf, &limits, &mut self.argv)
            {
                Ok(true) => {}
                Ok(false) => break Next::Idle,
                Err(e) => {
                    tracing::debug!(client = self.client.id, error = %e.message(), "protocol error, closing");
                    self.answer(&mut round, Reply::Error(e));
                    self.client.close_after_reply = true;
                    break Next::Idle;
                }
            }
            if self.parser.take_new_read_ahead() {
                prefetch::warm_read_ahead(&self.parser, self.client.db);
            }
            // With no reply held back in a round, replies go straight to the output.
            let step = if round.is_empty() {
                dispatch_into(&mut self.client, &mut self.argv, &mut self.out)
            } else {
                let order = if round.is_locked() {
                    Order::AfterSplit
                } else {
                    Order::Pipelined
                };
                Some(dispatch_in_round(&mut self.client, &mut self.argv, order))
            };
            // AUTH and HELLO may have authenticated the client, which lifts the parser's
            // pre-authentication limits.
            self.parser.set_auth_required(!self.client.authenticated);
            let Some(step) = step else { continue };
            match step {
                Step::Reply(r) => self.answer(&mut round, r),
                Step::Remote(cmd) => round.push_remote(cmd),
                Step::Split(cmd) => round.push_split(cmd),
                Step::Wait(f) => break Next::Wait(f),
                Step::Exec(commands) => break Next::Exec(commands),
            }
        };
        if round.is_empty() {
            next
        } else {
            Next::Round(round, Box::new(next))
        }
    }

    /// Writes `r` now, or keeps its place in the round when commands before it are away.
    fn answer(&mut self, round: &mut Pipeline, r: Reply) {
        if round.is_empty() {
            self.write(&r);
        } else {
            round.push_reply(r);
        }
    }
}

/// Appends `reply` to a connection's output `out` in protocol version `resp`, counting errors.
pub fn write_reply(out: &mut Vec<u8>, resp: u8, reply: &Reply) {
    encode(reply, resp, out);
    if reply.is_error() {
        super::runtime::local().stats.borrow_mut().error_replies += 1;
    }
}

/// Forgets a closed connection: its blocked keys, its watched keys, its pub/sub subscriptions.
pub fn unregister(client_id: u64) {
    REGISTRY.with(|r| r.borrow_mut().remove(&client_id));
    super::blocking::unblock(client_id, None);
    super::transaction::unwatch_all(client_id);
    super::pubsub::forget_client(client_id);
    crate::replication::serve::forget(client_id);
}

/// The open connection of `client_id` on this executor, if any.
pub fn find(client_id: u64) -> Option<ConnRef> {
    REGISTRY.with(|r| r.borrow().get(&client_id).and_then(Weak::upgrade))
}

/// Asks the driver to send what was appended to the connection of `token` from outside its
/// own commands (a pub/sub message, a pipeline round's answers). The driver looks for such
/// connections before it sleeps: no glommio turn is needed for them.
pub fn schedule_flush(token: u64) {
    READY_TO_FLUSH.with(|r| {
        let mut r = r.borrow_mut();
        // A burst of messages to one subscriber needs one flush.
        if r.last() != Some(&token) {
            r.push(token);
        }
    });
}

/// Every open connection of this executor.
pub fn connections() -> Vec<ConnRef> {
    REGISTRY.with(|r| r.borrow().values().filter_map(Weak::upgrade).collect())
}

/// Closes the connection of `client_id` once its pending replies are sent (CLIENT KILL).
/// Returns false when no such connection lives on this executor.
pub fn kill(client_id: u64) -> bool {
    let Some(conn) = REGISTRY.with(|r| r.borrow().get(&client_id).and_then(Weak::upgrade)) else {
        return false;
    };
    let token = {
        let mut c = conn.borrow_mut();
        c.client.close_after_reply = true;
        c.token
    };
    READY_TO_FLUSH.with(|r| r.borrow_mut().push(token));
    note_activity();
    true
}

/// True when some connection has replies waiting for the driver's next flush.
pub fn has_ready_to_flush() -> bool {
    READY_TO_FLUSH.with(|r| !r.borrow().is_empty())
}

/// Takes the tokens of connections whose task produced replies since the last call.
pub fn take_ready_to_flush(into: &mut Vec<u64>) {
    READY_TO_FLUSH.with(|r| into.append(&mut r.borrow_mut()));
}

/// Runs what the connection's input allows. Called by the driver after new bytes arrived.
pub fn process(conn: &ConnRef) {
    let next = {
        let mut c = conn.borrow_mut();
        if c.busy {
            return;
        }
        c.run_ready()
    };
    start(conn, next);
}

/// Starts what the connection must wait for: a pipeline round, or a task for a command that
/// waits.
fn start(conn: &ConnRef, next: Next) {
    match next {
        Next::Idle => {}
        Next::Round(mut round, after) => {
            let locking = {
                let mut c = conn.borrow_mut();
                c.busy = true;
                let locking = round.launch(c.client.id);
                c.in_flight = Some((round, *after));
                locking
            };
            if let Some(locking) = locking {
                locking.start();
            }
        }
        other => {
            let f = other
                .into_future(conn)
                .expect("a waiting step has a future");
            conn.borrow_mut().busy = true;
            glommio::spawn_local(run_waiting(conn.clone(), f)).detach();
            // The task runs on glommio's next turn; make sure the driver gives it one.
            note_activity();
        }
    }
}

/// One shard's answers to a pipeline round of connection `client_id`. Once every shard
/// answered, the replies go out in order and the connection carries on.
pub fn pipeline_answered(client_id: u64, shard: ShardId, answers: Vec<(usize, CmdResult)>) {
    let Some(conn) = find(client_id) else {
        return; // closed meanwhile
    };
    let after = {
        let mut c = conn.borrow_mut();
        let Some((round, _)) = c.in_flight.as_mut() else {
            return;
        };
        if !round.fill(shard, answers) {
            return;
        }
        let (round, after) = c.in_flight.take().expect("checked above");
        for r in round.into_replies() {
            c.write(&r);
        }
        c.busy = false;
        schedule_flush(c.token);
        after
    };
    match after {
        Next::Idle => process(&conn),
        other => start(&conn, other),
    }
}

/// Answers the command that had to wait, then keeps running the connection's input, until it
/// is drained or a pipeline round takes over; then hands the connection back to the driver.
async fn run_waiting(conn: ConnRef, mut pending: futures_lite::future::BoxedLocal<CmdResult>) {
    loop {
        let reply = Reply::from(pending.await);
        super::runtime::refresh_now();
        let next = {
            let mut c = conn.borrow_mut();
            c.write(&reply);
            c.run_ready()
        };
        match next {
            Next::Idle => break,
            Next::Round(..) => {
                let token = conn.borrow().token;
                schedule_flush(token);
                start(&conn, next);
                return;
            }
            other => {
                pending = other
                    .into_future(&conn)
                    .expect("a waiting step has a future")
            }
        }
    }
    let token = {
        let mut c = conn.borrow_mut();
        c.busy = false;
        c.token
    };
    READY_TO_FLUSH.with(|r| r.borrow_mut().push(token));
    note_activity();
}
