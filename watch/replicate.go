package watch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// StatusInterval is the most often the watch sends a standby status update (the
// position it has processed) unless the server asks for one.
const StatusInterval = 10 * time.Second

// Gap is a stretch of the stream the watch did not see: from a dropped connection to
// the new slot's consistent point. Transactions that committed in between are missing
// from the counters, and transactions open when it dropped are discarded.
type Gap struct {
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	LastLSN   string    `json:"last_lsn"`
	ResumeLSN string    `json:"resume_lsn"`
	Cause     string    `json:"cause"`
}

// session is one replication connection with its temporary slot.
type session struct {
	conn     *pgconn.PgConn
	slot     string
	startLSN pglogrepl.LSN
}

// replicationConfig parses url for a logical replication connection: replication =
// database, and the session settings pgoutput's text output depends on.
func replicationConfig(url string) (*pgconn.Config, error) {
	cfg, err := pgconn.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("error parsing the database URL: %w", redact(err))
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["replication"] = "database"
	cfg.RuntimeParams["TimeZone"] = "UTC"
	cfg.RuntimeParams["DateStyle"] = "ISO"
	cfg.RuntimeParams["application_name"] = "pgshape-watch"
	return cfg, nil
}

// redact keeps a URL parse error from echoing the URL (and a password in it).
func redact(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("the URL is malformed")
	}
	return err
}

// startSession connects, creates a TEMPORARY logical slot (dropped by the server when
// the connection ends, however it ends) and starts pgoutput protocol 2 with streaming
// on. It never asks for logical decoding messages or two-phase transactions.
func startSession(ctx context.Context, url, slot, publication string) (*session, error) {
	if err := ValidName("slot", slot); err != nil {
		return nil, err
	}
	if err := ValidName("publication", publication); err != nil {
		return nil, err
	}
	cfg, err := replicationConfig(url)
	if err != nil {
		return nil, err
	}
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("error opening a replication connection: %w", err)
	}
	ident := pgx.Identifier{slot}.Sanitize()
	res, err := pglogrepl.CreateReplicationSlot(ctx, conn, ident, "pgoutput",
		pglogrepl.CreateReplicationSlotOptions{Temporary: true, Mode: pglogrepl.LogicalReplication, SnapshotAction: "NOEXPORT_SNAPSHOT"})
	if err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("error creating the temporary replication slot %s: %w", slot, err)
	}
	lsn, err := pglogrepl.ParseLSN(res.ConsistentPoint)
	if err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("error reading the consistent point of slot %s: %w", slot, err)
	}
	// publication_names is parsed as a list of identifiers: quote it as one.
	pubArg := "'" + pgx.Identifier{publication}.Sanitize() + "'"
	err = pglogrepl.StartReplication(ctx, conn, ident, lsn, pglogrepl.StartReplicationOptions{
		Mode:       pglogrepl.LogicalReplication,
		PluginArgs: []string{"proto_version '2'", "publication_names " + pubArg, "streaming 'on'"},
	})
	if err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("error starting replication from slot %s: %w", slot, err)
	}
	return &session{conn: conn, slot: slot, startLSN: lsn}, nil
}

// loopState is what the receive loop tracks between messages.
type loopState struct {
	processed  pglogrepl.LSN // end of the last transaction fully applied (or idle WAL end)
	serverEnd  pglogrepl.LSN // the server's WAL end, from the last message
	lastStatus time.Time
}

// receive runs the replication loop on s until ctx ends or until the deadline, feeding
// dec; it answers keepalives and acknowledges what has been processed. It returns nil
// at the deadline, ctx's error when cancelled, an ErrPrivacy error when the stream
// shows what the gates refuse, or a connection error.
func receive(ctx context.Context, s *session, dec *Decoder, st *loopState, until time.Time) error {
	for {
		now := time.Now()
		if !now.Before(until) {
			return nil
		}
		if now.Sub(st.lastStatus) >= StatusInterval {
			if err := sendStatus(ctx, s, st); err != nil {
				return err
			}
		}
		deadline := st.lastStatus.Add(StatusInterval)
		if until.Before(deadline) {
			deadline = until
		}
		rctx, cancel := context.WithDeadline(ctx, deadline)
		raw, err := s.conn.ReceiveMessage(rctx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if pgconn.Timeout(err) {
				continue
			}
			return fmt.Errorf("error receiving from slot %s: %w", s.slot, err)
		}
		switch m := raw.(type) {
		case *pgproto3.ErrorResponse:
			return fmt.Errorf("error receiving from slot %s: %w", s.slot, pgconn.ErrorResponseToPgError(m))
		case *pgproto3.CopyData:
			if len(m.Data) == 0 {
				continue
			}
			switch m.Data[0] {
			case pglogrepl.PrimaryKeepaliveMessageByteID:
				pkm, err := pglogrepl.ParsePrimaryKeepaliveMessage(m.Data[1:])
				if err != nil {
					return fmt.Errorf("error reading a keepalive from slot %s: %w", s.slot, err)
				}
				st.serverEnd = max(st.serverEnd, pkm.ServerWALEnd)
				if dec.idle() {
					// nothing open: everything up to the server's end is processed
					st.processed = max(st.processed, pkm.ServerWALEnd)
				}
				if pkm.ReplyRequested {
					if err := sendStatus(ctx, s, st); err != nil {
						return err
					}
				}
			case pglogrepl.XLogDataByteID:
				xld, err := pglogrepl.ParseXLogData(m.Data[1:])
				if err != nil {
					return fmt.Errorf("error reading WAL data from slot %s: %w", s.slot, err)
				}
				st.serverEnd = max(st.serverEnd, xld.ServerWALEnd)
				if err := dec.Feed(xld.WALData); err != nil {
					return err
				}
				if dec.idle() {
					st.processed = max(st.processed, dec.lastLSN)
				}
			}
		}
	}
}

// sendStatus acknowledges the processed position (write = flush = apply), so the
// server may recycle the WAL before it.
func sendStatus(ctx context.Context, s *session, st *loopState) error {
	pos := st.processed
	if pos == 0 {
		pos = s.startLSN
	}
	if err := pglogrepl.SendStandbyStatusUpdate(ctx, s.conn, pglogrepl.StandbyStatusUpdate{WALWritePosition: pos}); err != nil {
		return fmt.Errorf("error sending the standby status to slot %s: %w", s.slot, err)
	}
	st.lastStatus = time.Now()
	return nil
}

// close ends the session: the server drops the temporary slot with the connection.
func (s *session) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.conn.Close(ctx)
}

// idle reports whether no transaction is open (neither a plain one nor a streamed one
// awaiting its commit).
func (d *Decoder) idle() bool { return d.cur == nil && len(d.streams) == 0 }

// dropOpen discards the transactions open when a connection dropped; they will be
// resent in full (if they commit) to no one: the new slot starts after them.
func (d *Decoder) dropOpen() int {
	n := 0
	if d.cur != nil {
		d.agg.release(d.cur)
		d.cur = nil
		n++
	}
	for xid, s := range d.streams {
		for _, x := range s.order {
			d.agg.release(s.byXid[x])
		}
		delete(d.streams, xid)
		n++
	}
	d.inStream = false
	return n
}
