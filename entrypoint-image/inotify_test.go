package main

import (
	"encoding/binary"
	"reflect"
	"syscall"
	"testing"
	"time"
)

// rawEvent encodes an inotify event as the kernel does (native byte order
// is little-endian on every architecture we build for), the name padded
// with NULs to pad bytes.
func rawEvent(wd int32, mask uint32, name string, pad int) []byte {
	b := make([]byte, syscall.SizeofInotifyEvent)
	binary.LittleEndian.PutUint32(b[0:], uint32(wd))
	binary.LittleEndian.PutUint32(b[4:], mask)
	binary.LittleEndian.PutUint32(b[12:], uint32(pad))
	n := make([]byte, pad)
	copy(n, name)
	return append(b, n...)
}

func TestDecodeEvents(t *testing.T) {
	var buf []byte
	buf = append(buf, rawEvent(1, syscall.IN_MOVED_TO, fileDone, 16)...)
	buf = append(buf, rawEvent(2, syscall.IN_CLOSE_WRITE, fileLock, 16)...)
	buf = append(buf, rawEvent(-1, syscall.IN_Q_OVERFLOW, "", 0)...)
	buf = append(buf, rawEvent(3, syscall.IN_IGNORED, "", 0)...)
	buf = append(buf, rawEvent(1, syscall.IN_CREATE, "é-unicode.tmp", 16)...)
	want := []inotifyEvent{
		{1, syscall.IN_MOVED_TO, fileDone}, {2, syscall.IN_CLOSE_WRITE, fileLock},
		{-1, syscall.IN_Q_OVERFLOW, ""}, {3, syscall.IN_IGNORED, ""}, {1, syscall.IN_CREATE, "é-unicode.tmp"},
	}
	if got := decodeEvents(buf); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
	// A record cut short (its name past the end of the buffer) is dropped,
	// and so is a header cut short.
	cut := append(rawEvent(1, syscall.IN_CREATE, fileErr, 16), rawEvent(1, syscall.IN_CREATE, fileStarted, 32)[:20]...)
	if got := decodeEvents(cut); len(got) != 1 || got[0].name != fileErr {
		t.Fatalf("got %+v", got)
	}
	if got := decodeEvents(rawEvent(1, syscall.IN_CREATE, "x", 16)[:10]); len(got) != 0 {
		t.Fatalf("got %+v", got)
	}
}

func TestEventKind(t *testing.T) {
	for name, want := range map[string]int{fileDone: evRecord, fileErr: evRecord, fileLock: evLock, fileStarted: evStart,
		fileReport: evNone, ".done.tmp.1.x": evNone, "done.errx": evNone, "": evNone} {
		if got := eventKind(name); got != want {
			t.Errorf("eventKind(%q) = %d, want %d", name, got, want)
		}
	}
}

// The re-probing timeout: rounded up, and never negative for a look that
// is overdue (a negative epoll_wait timeout blocks until an event, and the
// lock's release gives none).
func TestEpollTimeout(t *testing.T) {
	for d, want := range map[time.Duration]int{
		-time.Second: 0, -2500 * time.Microsecond: 0, -time.Nanosecond: 0, 0: 0,
		time.Nanosecond: 1, time.Millisecond: 1, 1500 * time.Microsecond: 2, 128 * time.Millisecond: 128,
	} {
		if got := epollTimeout(d); got != want {
			t.Errorf("epollTimeout(%v) = %d, want %d", d, got, want)
		}
	}
}
