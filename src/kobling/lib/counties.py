"""The 15 counties (2024) as tiles of a schematic map of Norway: (column, row, short label).

This is a tile cartogram, not a geographic map: every county is one equal square placed
roughly where it lies (north at the top), so small and large counties are equally visible and no
map data or tiles are needed. In lib because the national overview and the rehabilitation
register's public list of offers both use the counties."""

COUNTY_TILES: dict[str, tuple[int, int, str]] = {
    "56": (4, 0, "Finnmark"),
    "55": (3, 1, "Troms"),
    "18": (2, 2, "Nordland"),
    "50": (2, 3, "Trøndelag"),
    "15": (1, 4, "Møre og R."),
    "46": (0, 5, "Vestland"),
    "34": (2, 5, "Innlandet"),
    "33": (1, 6, "Buskerud"),
    "32": (2, 6, "Akershus"),
    "03": (3, 6, "Oslo"),
    "11": (0, 7, "Rogaland"),
    "40": (1, 7, "Telemark"),
    "39": (2, 7, "Vestfold"),
    "31": (3, 7, "Østfold"),
    "42": (1, 8, "Agder"),
}
