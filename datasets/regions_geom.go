package datasets

import (
	"math"

	"github.com/paulmach/orb"
)

// Geometry checks of a regions file's rings, near-linear in the number of positions so
// that a file at MaxRegionVertices is checked in about the time it takes to read.

// orient is twice the signed area of the triangle a, b, c: positive when c lies left of
// the line a→b, negative right of it, zero on it.
func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

// properCrossing reports whether the segments ab and cd cross at one point interior to
// both (touching at an end, or running along each other, is not a proper crossing), and
// where.
func properCrossing(a, b, c, d orb.Point) (orb.Point, bool) {
	d1, d2 := orient(c, d, a), orient(c, d, b)
	if !(d1 > 0 && d2 < 0 || d1 < 0 && d2 > 0) {
		return orb.Point{}, false
	}
	d3, d4 := orient(a, b, c), orient(a, b, d)
	if !(d3 > 0 && d4 < 0 || d3 < 0 && d4 > 0) {
		return orb.Point{}, false
	}
	t := d1 / (d1 - d2)
	return orb.Point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])}, true
}

// bucketGrid files items (segments, by their bounding boxes) into a uniform grid of
// cols × rows buckets over a bounding box, in compressed form: the items of bucket k
// are items[start[k]:start[k+1]], in increasing order.
type bucketGrid struct {
	minX, minY, w, h float64
	cols, rows       int
	start, items     []int32
}

// newBucketGrid files n segments, segment i spanning x lo[i]..hi[i] (and y likewise in
// the second coordinate), into about side × side buckets over bound; side shrinks while
// long segments would file more than about 8 entries per segment.
func newBucketGrid(bound orb.Bound, n, side int, seg func(i int) (lo, hi orb.Point)) *bucketGrid {
	side = max(side, 1)
	for {
		g := &bucketGrid{minX: bound.Min[0], minY: bound.Min[1], cols: side, rows: side}
		g.w = (bound.Max[0] - bound.Min[0]) / float64(side)
		g.h = (bound.Max[1] - bound.Min[1]) / float64(side)
		if !(g.w > 0) {
			g.cols, g.w = 1, 1
		}
		if !(g.h > 0) {
			g.rows, g.h = 1, 1
		}
		total := 0
		for i := 0; i < n; i++ {
			lo, hi := seg(i)
			c0, r0 := g.bucket(lo)
			c1, r1 := g.bucket(hi)
			total += (c1 - c0 + 1) * (r1 - r0 + 1)
			if total > 8*n+1024 && side > 1 {
				break
			}
		}
		if total > 8*n+1024 && side > 1 {
			side /= 2
			continue
		}
		g.start = make([]int32, g.cols*g.rows+1)
		for i := 0; i < n; i++ {
			lo, hi := seg(i)
			c0, r0 := g.bucket(lo)
			c1, r1 := g.bucket(hi)
			for r := r0; r <= r1; r++ {
				for c := c0; c <= c1; c++ {
					g.start[r*g.cols+c+1]++
				}
			}
		}
		for k := 1; k < len(g.start); k++ {
			g.start[k] += g.start[k-1]
		}
		g.items = make([]int32, total)
		fill := append([]int32(nil), g.start[:len(g.start)-1]...)
		for i := 0; i < n; i++ {
			lo, hi := seg(i)
			c0, r0 := g.bucket(lo)
			c1, r1 := g.bucket(hi)
			for r := r0; r <= r1; r++ {
				for c := c0; c <= c1; c++ {
					k := r*g.cols + c
					g.items[fill[k]] = int32(i)
					fill[k]++
				}
			}
		}
		return g
	}
}

// bucket returns the column and row of the bucket holding p (clamped to the grid).
func (g *bucketGrid) bucket(p orb.Point) (col, row int) {
	clamp := func(v float64, n int) int {
		if !(v >= 0) { // also NaN
			return 0
		}
		if v >= float64(n) {
			return n - 1
		}
		return int(v)
	}
	return clamp((p[0]-g.minX)/g.w, g.cols), clamp((p[1]-g.minY)/g.h, g.rows)
}

// segBound returns the corners of the bounding box of the segment ab.
func segBound(a, b orb.Point) (lo, hi orb.Point) {
	return orb.Point{math.Min(a[0], b[0]), math.Min(a[1], b[1])}, orb.Point{math.Max(a[0], b[0]), math.Max(a[1], b[1])}
}

// ringCrossing looks for two non-adjacent edges of the closed ring that cross properly;
// edge i runs from position i to i+1, and zero-length edges (a position repeated) are
// skipped. It returns the crossing with the lowest pair of edges (i < j), and where.
// Segments are filed into about √n × √n buckets over the ring's bounding box and only
// edges sharing a bucket are compared.
func ringCrossing(ring orb.Ring) (i, j int, at orb.Point, found bool) {
	var edges []int32 // the start positions of the non-zero edges
	for k := 0; k+1 < len(ring); k++ {
		if ring[k] != ring[k+1] {
			edges = append(edges, int32(k))
		}
	}
	m := len(edges)
	if m < 4 {
		return 0, 0, orb.Point{}, false // a triangle or less cannot cross itself properly
	}
	bestI, bestJ := -1, -1
	test := func(a, b int) { // compacted edge indices, a < b
		if b == a+1 || a == 0 && b == m-1 {
			return // adjacent: they share a position
		}
		ea, eb := int(edges[a]), int(edges[b])
		if bestI >= 0 && (ea > bestI || ea == bestI && eb >= bestJ) {
			return
		}
		if p, ok := properCrossing(ring[ea], ring[ea+1], ring[eb], ring[eb+1]); ok {
			bestI, bestJ, at = ea, eb, p
		}
	}
	if m <= 64 {
		for a := 0; a < m; a++ {
			for b := a + 1; b < m; b++ {
				test(a, b)
			}
		}
	} else {
		side := int(math.Ceil(math.Sqrt(float64(m))))
		g := newBucketGrid(ring.Bound(), m, side, func(k int) (orb.Point, orb.Point) {
			e := edges[k]
			return segBound(ring[e], ring[e+1])
		})
		for k := 0; k+1 < len(g.start); k++ {
			items := g.items[g.start[k]:g.start[k+1]]
			for x := 0; x < len(items); x++ {
				for y := x + 1; y < len(items); y++ {
					test(int(items[x]), int(items[y]))
				}
			}
		}
	}
	if bestI < 0 {
		return 0, 0, orb.Point{}, false
	}
	return bestI, bestJ, at, true
}

// ringIndex answers point-in-ring queries in about constant time for a ring of ordinary
// shape: its edges are filed into vertical bands by their longitude range, and a query
// casts a ray only across the edges of its point's band.
type ringIndex struct {
	ring  orb.Ring
	bound orb.Bound
	bands *bucketGrid
}

func newRingIndex(ring orb.Ring) *ringIndex {
	b := ring.Bound()
	n := max(len(ring)-1, 1)
	// About as many bands as edges, fewer when the ring zigzags across its width (then
	// each edge would be filed in many bands).
	travel := 0.0
	for k := 0; k+1 < len(ring); k++ {
		travel += math.Abs(ring[k+1][0] - ring[k][0])
	}
	side := n
	if width := b.Max[0] - b.Min[0]; width > 0 && travel/width > 1 {
		side = max(1, int(float64(n)/(travel/width)))
	}
	flat := orb.Bound{Min: orb.Point{b.Min[0], 0}, Max: orb.Point{b.Max[0], 0}}
	ix := &ringIndex{ring: ring, bound: b}
	ix.bands = newBucketGrid(flat, len(ring)-1, side, func(k int) (orb.Point, orb.Point) {
		lo, hi := segBound(ring[k], ring[k+1])
		return orb.Point{lo[0], 0}, orb.Point{hi[0], 0}
	})
	return ix
}

// contains reports whether p is inside the ring or on its boundary, as
// planar.RingContains does.
func (ix *ringIndex) contains(p orb.Point) bool {
	if len(ix.ring) < 2 || !ix.bound.Contains(p) {
		return false
	}
	col, _ := ix.bands.bucket(orb.Point{p[0], 0})
	c := false
	for _, k := range ix.bands.items[ix.bands.start[col]:ix.bands.start[col+1]] {
		inter, on := rayIntersect(p, ix.ring[k], ix.ring[k+1])
		if on {
			return true
		}
		if inter {
			c = !c
		}
	}
	return c
}

// rayIntersect is github.com/paulmach/orb/planar's (MIT licence): whether the ray from p
// towards -y crosses the segment s–e, and whether p lies on it.
func rayIntersect(p, s, e orb.Point) (intersects, on bool) {
	if s[0] > e[0] {
		s, e = e, s
	}
	switch p[0] {
	case s[0]:
		if p[1] == s[1] {
			return false, true
		} else if s[0] == e[0] {
			if s[1] > e[1] && s[1] >= p[1] && p[1] >= e[1] {
				return false, true
			}
			if e[1] > s[1] && e[1] >= p[1] && p[1] >= s[1] {
				return false, true
			}
		}
		p[0] = math.Nextafter(p[0], math.Inf(1))
	case e[0]:
		if p[1] == e[1] {
			return false, true
		}
		p[0] = math.Nextafter(p[0], math.Inf(1))
	}
	if p[0] < s[0] || p[0] > e[0] {
		return false, false
	}
	if s[1] > e[1] {
		if p[1] > s[1] {
			return false, false
		} else if p[1] < e[1] {
			return true, false
		}
	} else {
		if p[1] > e[1] {
			return false, false
		} else if p[1] < s[1] {
			return true, false
		}
	}
	rs := (p[1] - s[1]) / (p[0] - s[0])
	ds := (e[1] - s[1]) / (e[0] - s[0])
	if rs == ds {
		return false, true
	}
	return rs <= ds, false
}

// holeOutside returns the first position of hole that lies outside shell (neither
// inside nor on it).
func holeOutside(shell, hole orb.Ring) (pos int, found bool) {
	sb := shell.Bound()
	var ix *ringIndex
	for k, p := range hole {
		if !sb.Contains(p) {
			return k, true
		}
		if ix == nil {
			ix = newRingIndex(shell)
		}
		if !ix.contains(p) {
			return k, true
		}
	}
	return 0, false
}
