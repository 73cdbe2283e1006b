;; The scanner's common line in WebAssembly: a run of rows of the series in hand, each parsed to
;; (year, period, scaled value) for DataFileScanner to add. It accepts a subset of what quickLine
;; accepts and reads it the same way; it stops at the first line it does not accept, which the
;; JavaScript paths then take (see quick-lines.ts). Built by `npm run build:wasm` into
;; quick-lines-wasm.ts; test/quick-lines.test.ts checks the two match.
;;
;; Memory (the caller's layout, quick-lines.ts): the series field of the previous row at PREFIX, the
;; rows out at YEAR_PERIODS (year * 8 + period, i32) and VALUES (f64), the bytes from INPUT on, with
;; a 0 after the last one (no byte of a line is 0 where this looks, so no read runs past the end).
(module
  (memory (export "memory") 2)
  (global $stop (export "stop") (mut i32) (i32.const 0))

  ;; Rows from `pos` on while each is the series at PREFIX (prefix_len bytes) and well formed, at
  ;; most `room`; returns how many, and sets $stop to where the first row not taken starts.
  (func (export "rows")
    (param $pos i32) (param $end i32) (param $prefix i32) (param $prefix_len i32)
    (param $years i32) (param $values i32) (param $room i32)
    (result i32)
    (local $count i32) (local $i i32) (local $k i32) (local $digits i32) (local $year i32)
    (local $period i32) (local $negative i32) (local $value i64) (local $figures i32)
    (local $decimals i32) (local $c i32) (local $reach i32)
    (block $done
      (loop $line
        (br_if $done (i32.ge_u (local.get $count) (local.get $room)))
        ;; The shortest row: the series, then 4 + 3 + 1 bytes after tabs and a line end.
        (br_if $done (i32.gt_u (i32.add (i32.add (local.get $pos) (local.get $prefix_len)) (i32.const 12)) (local.get $end)))
        ;; The series, eight bytes at a time, then byte by byte.
        (local.set $k (i32.const 0))
        (block $words_end
          (loop $words
            (br_if $words_end (i32.gt_u (i32.add (local.get $k) (i32.const 8)) (local.get $prefix_len)))
            (br_if $done (i64.ne
              (i64.load (i32.add (local.get $pos) (local.get $k)))
              (i64.load (i32.add (local.get $prefix) (local.get $k)))))
            (local.set $k (i32.add (local.get $k) (i32.const 8)))
            (br $words)))
        (block $bytes_end
          (loop $bytes
            (br_if $bytes_end (i32.ge_u (local.get $k) (local.get $prefix_len)))
            (br_if $done (i32.ne
              (i32.load8_u (i32.add (local.get $pos) (local.get $k)))
              (i32.load8_u (i32.add (local.get $prefix) (local.get $k)))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $bytes)))
        (local.set $i (i32.add (local.get $pos) (local.get $prefix_len)))
        (br_if $done (i32.ne (i32.load8_u (local.get $i)) (i32.const 9)))
        ;; The year: four digits, checked four at once as quickLine does.
        (local.set $digits (i32.load (i32.add (local.get $i) (i32.const 1))))
        (br_if $done (i32.ne (i32.and (local.get $digits) (i32.const 0xf0f0f0f0)) (i32.const 0x30303030)))
        (br_if $done (i32.ne
          (i32.and (i32.add (local.get $digits) (i32.const 0x06060606)) (i32.const 0xf0f0f0f0))
          (i32.const 0x30303030)))
        (local.set $year (i32.add
          (i32.add
            (i32.mul (i32.and (local.get $digits) (i32.const 0xf)) (i32.const 1000))
            (i32.mul (i32.and (i32.shr_u (local.get $digits) (i32.const 8)) (i32.const 0xf)) (i32.const 100)))
          (i32.add
            (i32.mul (i32.and (i32.shr_u (local.get $digits) (i32.const 16)) (i32.const 0xf)) (i32.const 10))
            (i32.and (i32.shr_u (local.get $digits) (i32.const 24)) (i32.const 0xf)))))
        ;; Tab, Q0, the period 1-5, tab.
        (br_if $done (i32.ne (i32.load8_u (i32.add (local.get $i) (i32.const 5))) (i32.const 9)))
        (br_if $done (i32.ne (i32.load16_u (i32.add (local.get $i) (i32.const 6))) (i32.const 0x3051)))
        (br_if $done (i32.ne (i32.load8_u (i32.add (local.get $i) (i32.const 9))) (i32.const 9)))
        (local.set $period (i32.sub (i32.load8_u (i32.add (local.get $i) (i32.const 8))) (i32.const 48)))
        (br_if $done (i32.gt_u (i32.sub (local.get $period) (i32.const 1)) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 10)))
        ;; The value's leading spaces, four at a time, then one at a time.
        (block $wide_end
          (loop $wide
            (br_if $wide_end (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $end)))
            (br_if $wide_end (i32.ne (i32.load (local.get $i)) (i32.const 0x20202020)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $wide)))
        (block $narrow_end
          (loop $narrow
            (br_if $narrow_end (i32.ne (i32.load8_u (local.get $i)) (i32.const 32)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $narrow)))
        ;; The value: a sign, digits, a point and at most 3 decimals; 15 figures at most, so that
        ;; JavaScript's doubles hold every step exactly too (longer ones are left to it).
        (local.set $negative (i32.eq (i32.load8_u (local.get $i)) (i32.const 45)))
        (if (i32.or (local.get $negative) (i32.eq (i32.load8_u (local.get $i)) (i32.const 43)))
          (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))
        (local.set $value (i64.const 0))
        (local.set $figures (i32.const 0))
        (block $whole_end
          (loop $whole
            (local.set $c (i32.sub (i32.load8_u (local.get $i)) (i32.const 48)))
            (br_if $whole_end (i32.gt_u (local.get $c) (i32.const 9)))
            (local.set $value (i64.add (i64.mul (local.get $value) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
            (local.set $figures (i32.add (local.get $figures) (i32.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $whole)))
        (local.set $decimals (i32.const 0))
        (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 46))
          (then
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (block $fraction_end
              (loop $fraction
                (local.set $c (i32.sub (i32.load8_u (local.get $i)) (i32.const 48)))
                (br_if $fraction_end (i32.gt_u (local.get $c) (i32.const 9)))
                (local.set $value (i64.add (i64.mul (local.get $value) (i64.const 10)) (i64.extend_i32_u (local.get $c))))
                (local.set $decimals (i32.add (local.get $decimals) (i32.const 1)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $fraction)))))
        (local.set $figures (i32.add (local.get $figures) (local.get $decimals)))
        (br_if $done (i32.eqz (local.get $figures)))
        (br_if $done (i32.gt_u (local.get $figures) (i32.const 15)))
        (br_if $done (i32.gt_u (local.get $decimals) (i32.const 3)))
        ;; To thousandths: 1000, 100, 10 or 1.
        (if (i32.lt_u (local.get $decimals) (i32.const 3))
          (then (local.set $value (i64.mul (local.get $value) (i64.const 10)))))
        (if (i32.lt_u (local.get $decimals) (i32.const 2))
          (then (local.set $value (i64.mul (local.get $value) (i64.const 10)))))
        (if (i32.eqz (local.get $decimals))
          (then (local.set $value (i64.mul (local.get $value) (i64.const 10)))))
        (br_if $done (i64.ge_u (local.get $value) (i64.const 1000000000000000)))
        ;; Spaces or a carriage return, then the line end, or a tab and the line end within a short reach.
        (block $after_end
          (loop $after
            (local.set $c (i32.load8_u (local.get $i)))
            (br_if $after_end (i32.and (i32.ne (local.get $c) (i32.const 32)) (i32.ne (local.get $c) (i32.const 13))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $after)))
        (if (i32.eq (i32.load8_u (local.get $i)) (i32.const 9))
          (then
            ;; quickLine's reach: 256 bytes from the line's start, and not past the end.
            (local.set $reach (i32.add (local.get $pos) (i32.const 256)))
            (if (i32.gt_u (local.get $reach) (local.get $end)) (then (local.set $reach (local.get $end))))
            (block $tail_end
              (loop $tail
                (br_if $tail_end (i32.ge_u (local.get $i) (local.get $reach)))
                (br_if $tail_end (i32.eq (i32.load8_u (local.get $i)) (i32.const 10)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $tail)))))
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (br_if $done (i32.ne (i32.load8_u (local.get $i)) (i32.const 10)))
        ;; The row.
        (i32.store
          (i32.add (local.get $years) (i32.shl (local.get $count) (i32.const 2)))
          (i32.add (i32.shl (local.get $year) (i32.const 3)) (local.get $period)))
        (f64.store
          (i32.add (local.get $values) (i32.shl (local.get $count) (i32.const 3)))
          (select
            (f64.neg (f64.convert_i64_u (local.get $value)))
            (f64.convert_i64_u (local.get $value))
            (local.get $negative)))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (local.set $pos (i32.add (local.get $i) (i32.const 1)))
        (br $line)))
    (global.set $stop (local.get $pos))
    (local.get $count))
)
