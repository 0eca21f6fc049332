// SPDX-License-Identifier: GPL-2.0
/*
 * CacheJob.java - a JVM workload for the dirty-trace holdout set
 * (tools/record-corpus/record-holdout): an in-memory session cache in front
 * of an imaginary database, the shape of many Java services.
 *
 *   java -Xms768m -Xmx768m CacheJob SECONDS
 *
 * - A LinkedHashMap in access order holds up to 250k sessions (an LRU:
 *   the eldest is evicted past the limit); each session is a small object
 *   with a 512-byte to 2 KiB payload.
 * - Requests pick a session id with a skewed (Zipf-like) popularity; 80 %
 *   read it (a hit touches the LRU links), 20 % rewrite its payload (a new
 *   array: allocation, the old one becomes garbage); a miss loads the
 *   session (allocation) and may evict one.
 * - Every 2 s a report pass walks the whole cache, groups sessions by a
 *   key into a fresh HashMap and sorts the top groups: a burst of
 *   short-lived objects.
 * The JVM's collector (G1 by default) does the rest. Deterministic input
 * (fixed seed); prints one line per report.
 */
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

public class CacheJob {
	static final int MAX = 250_000;
	static final int IDS = 1_000_000;

	static final class Session {
		final long id;
		byte[] payload;
		int hits;
		final int group;

		Session(long id, byte[] payload) {
			this.id = id;
			this.payload = payload;
			this.group = (int) (id % 997);
		}
	}

	public static void main(String[] args) {
		double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 30;
		Random rnd = new Random(42);
		Map<Long, Session> cache = new LinkedHashMap<>(MAX * 2, 0.75f, true) {
			@Override
			protected boolean removeEldestEntry(Map.Entry<Long, Session> e) {
				return size() > MAX;
			}
		};
		long start = System.nanoTime(), nextReport = start + 2_000_000_000L;
		long requests = 0, misses = 0;
		while (System.nanoTime() - start < seconds * 1e9) {
			for (int i = 0; i < 1000; i++) {
				/* skewed popularity: id = IDS * u^3 */
				double u = rnd.nextDouble();
				long id = (long) (IDS * u * u * u);
				Session s = cache.get(id);
				requests++;
				if (s == null) {
					misses++;
					s = new Session(id, new byte[512 + rnd.nextInt(1536)]);
					rnd.nextBytes(s.payload);
					cache.put(id, s);
				} else if (rnd.nextInt(5) == 0) {
					byte[] p = new byte[512 + rnd.nextInt(1536)];
					p[0] = (byte) id;
					s.payload = p;
				}
				s.hits++;
			}
			if (System.nanoTime() >= nextReport) {
				nextReport += 2_000_000_000L;
				Map<Integer, List<Session>> groups = new HashMap<>();
				for (Session s : cache.values())
					groups.computeIfAbsent(s.group, g -> new ArrayList<>()).add(s);
				List<Map.Entry<Integer, List<Session>>> top =
					new ArrayList<>(groups.entrySet());
				top.sort((a, b) -> b.getValue().size() - a.getValue().size());
				System.out.printf("cachejob: t=%.0fs requests=%d misses=%d size=%d top=%d%n",
					(System.nanoTime() - start) / 1e9, requests, misses,
					cache.size(), top.get(0).getValue().size());
			}
		}
	}
}
