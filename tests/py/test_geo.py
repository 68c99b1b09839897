"""GEO commands through redis-py: geoadd / geopos / geodist / geohash and the
searches, with redis-py's reply parsers (coordinates and distances as floats,
WITH* options as nested lists) in RESP2 and RESP3. Figures are redis.io's
Sicily example, as redis-server 7.0 answers it."""

import pytest
import redis

PALERMO = (13.361389, 38.115556, "Palermo")
CATANIA = (15.087269, 37.502669, "Catania")


@pytest.fixture
def sicily(r):
    assert r.geoadd("Sicily", PALERMO + CATANIA) == 2
    return r


def test_positions_distances_and_hashes(sicily):
    r = sicily
    pos = r.geopos("Sicily", "Palermo", "nosuch")
    assert pos[0] == pytest.approx((13.361389338970184, 38.1155563954963))
    assert pos[1] is None
    assert r.geodist("Sicily", "Palermo", "Catania") == 166274.1516
    assert r.geodist("Sicily", "Palermo", "Catania", "km") == 166.2742
    assert r.geodist("Sicily", "Palermo", "nosuch") is None
    hashes = r.geohash("Sicily", "Palermo", "Catania")
    # redis-py decodes these in RESP2 only.
    assert [h.decode() if isinstance(h, bytes) else h for h in hashes] == [
        "sqc8b49rny0",
        "sqdtr74hyu0",
    ]
    # A geo set is a sorted set of geohash scores.
    assert r.zscore("Sicily", "Palermo") == 3479099956230698


def test_geoadd_options(sicily):
    r = sicily
    assert r.geoadd("Sicily", (13.5, 38.1, "Palermo"), nx=True) == 0
    assert r.geoadd("Sicily", (13.5, 38.1, "Palermo"), xx=True, ch=True) == 1
    assert r.geoadd("Sicily", (1, 1, "x"), xx=True) == 0
    with pytest.raises(redis.ResponseError, match="invalid longitude,latitude pair"):
        r.geoadd("Sicily", (200, 0, "bad"))


def test_searches_with_options(sicily):
    r = sicily
    assert r.georadius("Sicily", 15, 37, 200, "km", sort="ASC") == [b"Catania", b"Palermo"]
    found = r.georadius("Sicily", 15, 37, 200, "km", withdist=True, sort="ASC")
    assert found == [[b"Catania", 56.4413], [b"Palermo", 190.4424]]
    found = r.geosearch(
        "Sicily", longitude=15, latitude=37, radius=200, unit="km",
        withcoord=True, withhash=True, sort="DESC",
    )
    assert [f[0] for f in found] == [b"Palermo", b"Catania"]
    assert found[0][1] == 3479099956230698
    assert found[0][2] == pytest.approx((13.361389338970184, 38.1155563954963))
    boxed = r.geosearch("Sicily", member="Palermo", width=400, height=400, unit="km", sort="ASC")
    assert boxed == [b"Palermo", b"Catania"]
    assert r.geosearch("Sicily", longitude=15, latitude=37, radius=200, unit="km", count=1) == [
        b"Catania"
    ]
    with pytest.raises(redis.ResponseError, match="could not decode requested zset member"):
        r.georadiusbymember("Sicily", "nosuch", 10, "km")


def test_store_forms(sicily):
    r = sicily
    assert r.geosearchstore("near", "Sicily", longitude=15, latitude=37, radius=100, unit="km") == 1
    assert r.zrange("near", 0, -1) == [b"Catania"]
    assert r.georadius("Sicily", 15, 37, 200, "km", store_dist="dists") == 2
    dists = dict(r.zrange("dists", 0, -1, withscores=True))
    assert dists[b"Catania"] == pytest.approx(56.4413, abs=1e-3)
    # Nothing found: the destination is removed.
    assert r.georadius("Sicily", 0, 0, 1, "km", store="dists") == 0
    assert r.exists("dists") == 0
