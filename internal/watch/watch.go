// Package watch wakes the readers of followed files when the kernel says
// their directory changed: one inotify instance (fsnotify) for every
// directory watched, one watch a directory however many readers follow its
// files, so that an idle followed file costs no wakeup at all.
//
// A directory's events cover what a follower needs to see: a write to a
// file in it, a file renamed away or created in its place (rotation, a
// restart's new file), a truncation, a deletion. Where the kernel cannot
// watch (no inotify, the user's instance or watch limit reached), Dir says
// why and the caller polls.
package watch

import (
	"fmt"
	"path/filepath"
	"sync"

	"github.com/fsnotify/fsnotify"
)

// Watcher hands out subscriptions to directories' changes. The zero value
// is ready; it starts its inotify instance with the first subscription and
// closes it with the last.
type Watcher struct {
	mu   sync.Mutex
	fs   *fsnotify.Watcher
	done chan struct{}
	dirs map[string]map[*Sub]struct{}
	// holds counts the Holds not yet released.
	holds int
	// add adds a watch; fs.Add unless a test replaces it.
	add func(fs *fsnotify.Watcher, dir string) error
}

var shared Watcher

// Shared returns the process's Watcher.
func Shared() *Watcher { return &shared }

// Sub is one reader's subscription to a directory's changes.
type Sub struct {
	// C receives after a change in the directory, or after the kernel
	// dropped events (any file may then have changed); changes that come
	// while a receive is pending are one.
	C <-chan struct{}

	c   chan struct{}
	w   *Watcher
	dir string
}

// Hold keeps the inotify instance open until release is called, so that
// subscriptions that come and go (one a wait) do not open and close it each
// time; it says why there is none if it cannot be opened.
func (w *Watcher) Hold() (release func(), err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.open(); err != nil {
		return nil, err
	}
	w.holds++
	var once sync.Once
	return func() {
		once.Do(func() {
			w.mu.Lock()
			w.holds--
			fs, done := w.unused()
			w.mu.Unlock()
			stop(fs, done)
		})
	}, nil
}

// open opens the inotify instance if it is not open.
func (w *Watcher) open() error {
	if w.fs != nil {
		return nil
	}
	fs, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch: no inotify instance: %w", err)
	}
	w.fs, w.done, w.dirs = fs, make(chan struct{}), map[string]map[*Sub]struct{}{}
	go w.run(fs, w.done)
	return nil
}

// Dir subscribes to the changes in dir, or says why they cannot be
// watched. Close the Sub when done.
func (w *Watcher) Dir(dir string) (*Sub, error) {
	dir = filepath.Clean(dir)
	w.mu.Lock()
	if err := w.open(); err != nil {
		w.mu.Unlock()
		return nil, err
	}
	subs := w.dirs[dir]
	if subs == nil {
		add := w.add
		if add == nil {
			add = (*fsnotify.Watcher).Add
		}
		if err := add(w.fs, dir); err != nil {
			fs, done := w.unused()
			w.mu.Unlock()
			stop(fs, done)
			return nil, fmt.Errorf("watch: %s: %w", dir, err)
		}
		subs = map[*Sub]struct{}{}
		w.dirs[dir] = subs
	}
	c := make(chan struct{}, 1)
	s := &Sub{C: c, c: c, w: w, dir: dir}
	subs[s] = struct{}{}
	w.mu.Unlock()
	return s, nil
}

// Close ends the subscription; the directory's watch ends with its last.
// A nil Sub's Close does nothing.
func (s *Sub) Close() {
	if s == nil {
		return
	}
	w := s.w
	w.mu.Lock()
	subs := w.dirs[s.dir]
	if _, ok := subs[s]; !ok {
		w.mu.Unlock()
		return
	}
	delete(subs, s)
	if len(subs) == 0 {
		delete(w.dirs, s.dir)
		_ = w.fs.Remove(s.dir)
	}
	fs, done := w.unused()
	w.mu.Unlock()
	stop(fs, done)
}

// unused forgets the inotify instance when no directory is watched and
// no Hold keeps it, and returns it for the caller to stop outside the lock (its events wait on
// the lock to be handed out); nil if it is still in use.
func (w *Watcher) unused() (*fsnotify.Watcher, chan struct{}) {
	if len(w.dirs) > 0 || w.holds > 0 || w.fs == nil {
		return nil, nil
	}
	fs, done := w.fs, w.done
	w.fs, w.done, w.dirs = nil, nil, nil
	return fs, done
}

// stop closes an inotify instance and waits for its events to be handed
// out.
func stop(fs *fsnotify.Watcher, done chan struct{}) {
	if fs == nil {
		return
	}
	_ = fs.Close()
	<-done
}

// run hands each event to the subscriptions of its directory, and a
// dropped-events error to every subscription.
func (w *Watcher) run(fs *fsnotify.Watcher, done chan struct{}) {
	defer close(done)
	events, errs := fs.Events, fs.Errors
	for events != nil || errs != nil {
		select {
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			w.wake(filepath.Dir(ev.Name))
		case _, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			w.wake("")
		}
	}
}

// wake wakes the subscriptions of dir, or every one if dir is "".
func (w *Watcher) wake(dir string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if dir != "" {
		notify(w.dirs[dir])
		return
	}
	for _, subs := range w.dirs {
		notify(subs)
	}
}

func notify(subs map[*Sub]struct{}) {
	for s := range subs {
		select {
		case s.c <- struct{}{}:
		default:
		}
	}
}
