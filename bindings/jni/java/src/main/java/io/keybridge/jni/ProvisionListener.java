package io.keybridge.jni;

/**
 * Progress of {@link NativeKeyLoader#provision}, for a UI. Called on the provisioning thread, in
 * slot order. What a method throws is ignored: progress is for display and never changes what is
 * loaded or reported.
 */
public interface ProvisionListener {
    /** The service answered: {@code slots} keys to load under {@code requestId}. */
    default void keysReceived(String requestId, int slots) {}

    /** Loading {@code keyIndex} begins. */
    default void slotStarted(int keyIndex) {}

    /** {@code slot} is done, loaded or not. */
    default void slotFinished(ProvisionedSlot slot) {}
}
