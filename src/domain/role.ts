// The two roles of a pair: A (the maker, process main-a) and B (the hedger, process main-b).
export type Role = "a" | "b"
