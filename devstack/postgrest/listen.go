package postgrest

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// listen waits for NOTIFY pgrst on a dedicated connection and reloads the
// schema cache on "reload schema" (or an empty payload). After a lost
// connection it reconnects with backoff and reloads, since notifications
// may have been missed meanwhile.
func (s *Server) listen(ctx context.Context, cfg *pgx.ConnConfig, conn *pgx.Conn) {
	defer close(s.done)
	backoff := 100 * time.Millisecond
	for {
		if conn != nil {
			s.waitNotifications(ctx, conn)
			conn.Close(context.Background())
			conn = nil
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err == nil {
			if _, err = c.Exec(ctx, "LISTEN pgrst"); err == nil {
				err = s.reload(ctx, c)
			}
			if err != nil {
				c.Close(context.Background())
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("postgrest: schema listener reconnect failed", "err", err)
			}
			continue
		}
		conn, backoff = c, 100*time.Millisecond
	}
}

func (s *Server) waitNotifications(ctx context.Context, conn *pgx.Conn) {
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("postgrest: schema listener lost its connection", "err", err)
			}
			return
		}
		if n.Payload != "" && n.Payload != "reload schema" {
			continue
		}
		if err := s.reload(ctx, conn); err != nil {
			if ctx.Err() == nil {
				s.log.Error("postgrest: schema reload failed", "err", err)
			}
			return
		}
		s.log.Info("postgrest: schema cache reloaded")
	}
}
