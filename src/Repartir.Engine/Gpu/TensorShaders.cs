namespace Repartir.Gpu;

/// <summary>
/// The WGSL of the GPU tensor operations. Element-wise kernels and reductions run 256 invocations a workgroup over a
/// grid folded into two dimensions (65,535 workgroups per dimension would stop a 1-D grid at 16.7 M values).
/// </summary>
internal static class TensorShaders
{
    /// <summary>Invocations per workgroup of the element-wise and reduction kernels.</summary>
    public const int GroupSize = 256;

    /// <summary>Values one reduction workgroup folds into one partial sum.</summary>
    public const int ReductionItems = GroupSize * 8;

    /// <summary>The rows and columns of C one tiled matmul workgroup computes (16 × 16 invocations of 8 × 8 each).</summary>
    public const int MatMulTile = 128;

    /// <summary>The rows and columns of C one register-blocked workgroup computes (8 × 8 invocations of 4 × 4 each).</summary>
    public const int MatMulBlockTile = 32;

    private const string Index = """
        fn flat(gid: vec3<u32>, groups: vec3<u32>) -> u32 { return gid.x + gid.y * groups.x * 256u; }
        """;

    /// <summary>
    /// c = a OP b for OP one of + - * /, four values an invocation (vec4): buffers are padded to whole vec4s, and the
    /// padding's results are never read back. Four at a time moved 3× the bytes a second on llvmpipe.
    /// </summary>
    public static string Binary(char op) => $$"""
        @group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
        @group(0) @binding(1) var<storage, read> b: array<vec4<f32>>;
        @group(0) @binding(2) var<storage, read_write> c: array<vec4<f32>>;
        {{Index}}
        @compute @workgroup_size(256)
        fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
            let i = flat(gid, groups);
            if (i < arrayLength(&c)) { c[i] = a[i] {{op}} b[i]; }
        }
        """;

    /// <summary>c = a × s[0], four values an invocation.</summary>
    public const string Scale = $$"""
        @group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
        @group(0) @binding(1) var<storage, read> s: array<f32>;
        @group(0) @binding(2) var<storage, read_write> c: array<vec4<f32>>;
        {{Index}}
        @compute @workgroup_size(256)
        fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
            let i = flat(gid, groups);
            if (i < arrayLength(&c)) { c[i] = a[i] * s[0]; }
        }
        """;

    /// <summary>Values one element-wise invocation computes.</summary>
    public const int VectorWidth = 4;

    /// <summary>One partial sum of x·y (or of x, when <paramref name="dot"/> is false) per workgroup, by a tree in workgroup memory.</summary>
    public static string Reduce(bool dot) => $$"""
        @group(0) @binding(0) var<storage, read> x: array<f32>;
        {{(dot ? "@group(0) @binding(1) var<storage, read> y: array<f32>;" : string.Empty)}}
        @group(0) @binding({{(dot ? 2 : 1)}}) var<storage, read_write> partial: array<f32>;
        var<workgroup> sums: array<f32, 256>;
        @compute @workgroup_size(256)
        fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32, @builtin(num_workgroups) groups: vec3<u32>) {
            let group = wg.x + wg.y * groups.x;
            let n = arrayLength(&x);
            let base = group * {{ReductionItems}}u;
            var s = 0.0;
            for (var r = 0u; r < {{ReductionItems / GroupSize}}u; r++) {
                let i = base + r * 256u + li;
                if (i < n) { s = {{(dot ? "fma(x[i], y[i], s)" : "s + x[i]")}}; }
            }
            sums[li] = s;
            workgroupBarrier();
            for (var half = 128u; half > 0u; half = half >> 1u) {
                if (li < half) { sums[li] = sums[li] + sums[li + half]; }
                workgroupBarrier();
            }
            if (li == 0u && group < arrayLength(&partial)) { partial[group] = sums[0]; }
        }
        """;

    /// <summary>
    /// C = A × B, tiled for a GPU: a workgroup of 16 × 16 invocations computes a 128 × 128 tile of C, each invocation an
    /// 8 × 8 block held in registers, from 128 × 8 slices of A and B staged in workgroup memory. An invocation's rows
    /// and columns are strided by 16, so neighbours read neighbouring words (no bank conflicts, coalesced stores).
    /// </summary>
    public const string MatMulTiled = """
        struct Dims { m: u32, k: u32, n: u32, unused: u32 }
        @group(0) @binding(0) var<storage, read> a: array<f32>;
        @group(0) @binding(1) var<storage, read> b: array<f32>;
        @group(0) @binding(2) var<storage, read> dims: Dims;
        @group(0) @binding(3) var<storage, read_write> c: array<f32>;
        const TILE = 128u;
        const DEPTH = 8u;
        const PAD = 132u;
        var<workgroup> tileA: array<f32, 1056>;
        var<workgroup> tileB: array<f32, 1024>;
        @compute @workgroup_size(16, 16)
        fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
            let m = dims.m; let k = dims.k; let n = dims.n;
            let row0 = wg.y * TILE;
            let col0 = wg.x * TILE;
            var acc: array<f32, 64>;
            for (var t = 0u; t < k; t = t + DEPTH) {
                for (var l = 0u; l < 4u; l++) {
                    let idx = li + l * 256u;
                    let ra = idx / DEPTH; let ka = idx % DEPTH;
                    let gr = row0 + ra; let gk = t + ka;
                    var va = 0.0;
                    if (gr < m && gk < k) { va = a[gr * k + gk]; }
                    tileA[ka * PAD + ra] = va;
                    let kb = idx / TILE; let cb = idx % TILE;
                    let gkb = t + kb; let gc = col0 + cb;
                    var vb = 0.0;
                    if (gkb < k && gc < n) { vb = b[gkb * n + gc]; }
                    tileB[kb * TILE + cb] = vb;
                }
                workgroupBarrier();
                for (var kk = 0u; kk < DEPTH; kk++) {
                    var ar: array<f32, 8>;
                    var br: array<f32, 8>;
                    for (var i = 0u; i < 8u; i++) { ar[i] = tileA[kk * PAD + lid.y + i * 16u]; }
                    for (var j = 0u; j < 8u; j++) { br[j] = tileB[kk * TILE + lid.x + j * 16u]; }
                    for (var i = 0u; i < 8u; i++) {
                        for (var j = 0u; j < 8u; j++) { acc[i * 8u + j] = fma(ar[i], br[j], acc[i * 8u + j]); }
                    }
                }
                workgroupBarrier();
            }
            for (var i = 0u; i < 8u; i++) {
                let r = row0 + lid.y + i * 16u;
                if (r < m) {
                    for (var j = 0u; j < 8u; j++) {
                        let col = col0 + lid.x + j * 16u;
                        if (col < n) { c[r * n + col] = acc[i * 8u + j]; }
                    }
                }
            }
        }
        """;

    /// <summary>
    /// C = A × B for a CPU (software) adapter, where workgroup memory only costs: each invocation computes a 4 × 4 block
    /// straight from A and B, four columns at a time as vectors.
    /// </summary>
    public const string MatMulBlocked = """
        struct Dims { m: u32, k: u32, n: u32, unused: u32 }
        @group(0) @binding(0) var<storage, read> a: array<f32>;
        @group(0) @binding(1) var<storage, read> b: array<f32>;
        @group(0) @binding(2) var<storage, read> dims: Dims;
        @group(0) @binding(3) var<storage, read_write> c: array<f32>;
        fn bAt(r: u32, col: u32, n: u32) -> f32 { if (col < n) { return b[r * n + col]; } return 0.0; }
        @compute @workgroup_size(8, 8)
        fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
            let m = dims.m; let k = dims.k; let n = dims.n;
            let row0 = gid.y * 4u;
            let col0 = gid.x * 4u;
            if (row0 >= m || col0 >= n) { return; }
            var acc: array<vec4<f32>, 4>;
            for (var p = 0u; p < k; p++) {
                let bv = vec4<f32>(bAt(p, col0, n), bAt(p, col0 + 1u, n), bAt(p, col0 + 2u, n), bAt(p, col0 + 3u, n));
                for (var i = 0u; i < 4u; i++) {
                    let r = min(row0 + i, m - 1u);
                    acc[i] = fma(vec4<f32>(a[r * k + p]), bv, acc[i]);
                }
            }
            for (var i = 0u; i < 4u; i++) {
                let r = row0 + i;
                if (r < m) {
                    for (var j = 0u; j < 4u; j++) {
                        if (col0 + j < n) { c[r * n + col0 + j] = acc[i][j]; }
                    }
                }
            }
        }
        """;
}
