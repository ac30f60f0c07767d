// The declarations of the functions that take a flow, generic in the flow id so that each flow's
// record types apply (wasm-bindgen cannot declare type parameters). scripts/build.sh puts each line
// below in place of wasm-bindgen's declaration of the same function in every generated .d.ts, under
// the doc comment it took from src/wasm.rs. One line per function.
export function toChargebee<F extends FlowId>(flow: F, customerp: CustomerpRecord<F>, options?: Options | null): ChargebeeResource<F>;
export function toCustomerp<F extends FlowId>(flow: F, chargebee: ChargebeeResource<F>, options?: Options | null): CustomerpFields<F>;
export function match<F extends FlowId>(flow: F, customerp: CustomerpRecord<F>[], chargebee: ChargebeeResource<F>[], options?: Options | null): MatchResult;
export function plan<F extends FlowId>(flow: F, input: PlanInput<F>, options?: Options | null): Plan<F>;
export function planBatch<F extends FlowId>(flow: F, inputs: PlanInput<F>[], options?: Options | null): BatchResult<F>[];
export function planUndo<F extends FlowId>(flow: F, input: PlanInput<F>, undo: UndoInput, options?: Options | null): UndoPlan<F>;
