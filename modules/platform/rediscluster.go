package platform

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// NewClusterClient returns a go-redis cluster client that notices a dead master at once. go-redis
// reloads its slot map on MOVED and ASK, and otherwise only when the map is ten seconds old: after a
// master crashes and its replica is promoted, every command for that master's slots would fail for up
// to ten seconds, retrying the dead address. Here a node that cannot be dialled, or drops a
// connection, makes the client reload the slot map (at most one reload at a time, none within 100 ms
// of the last), so the retries within the same command already go to the promoted replica.
func NewClusterClient(opt *redis.ClusterOptions) *redis.ClusterClient {
	rdb := redis.NewClusterClient(opt)
	r := &slotReloader{rdb: rdb}
	rdb.OnNewNode(func(node *redis.Client) { node.AddHook(r) })
	return rdb
}

type slotReloader struct {
	rdb     *redis.ClusterClient
	running atomic.Bool
	last    atomic.Int64 // unix nanoseconds of the last reload's start
}

func (r *slotReloader) trigger(err error) {
	if err == nil || !isConnectionError(err) {
		return
	}
	if time.Now().UnixNano()-r.last.Load() < int64(100*time.Millisecond) || !r.running.CompareAndSwap(false, true) {
		return
	}
	r.last.Store(time.Now().UnixNano())
	go func() {
		defer r.running.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.rdb.ReloadState(ctx)
	}()
}

// isConnectionError reports errors that say the node is gone rather than that the command failed.
func isConnectionError(err error) bool {
	var ne net.Error
	var oe *net.OpError
	return errors.As(err, &oe) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

func (r *slotReloader) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		r.trigger(err)
		return c, err
	}
}

func (r *slotReloader) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		r.trigger(err)
		return err
	}
}

func (r *slotReloader) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		r.trigger(err)
		return err
	}
}
