//! The network data path of one executor: its listeners and its io_uring ring.
//!
//! Why a ring of our own rather than glommio's `TcpStream`: glommio's stream does a `recv` and a
//! `send` system call per read and write, re-arms a one-shot poll after short reads, and creates
//! its rings without `IORING_SETUP_COOP_TASKRUN`; measured on a 2-core machine that costs about
//! twice Redis's CPU per request. A ring created with `COOP_TASKRUN`, one accept at a time per
//! listener (see `NetRing::accept` for why not multishot), one multishot receive per connection
//! into a provided buffer ring, and one send per connection per loop turn reaches the kernel's
//! floor. glommio still runs the executor, the tasks, the timers and the channels between
//! executors.

pub mod buffers;
pub mod driver;
pub mod listener;
pub mod pace;
pub mod placement;
pub mod ring;
