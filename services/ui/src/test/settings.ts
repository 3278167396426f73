import { screen } from '@testing-library/react';
import type { UserEvent } from '@testing-library/user-event';

/** Opens the settings panel (its fields are made once it is opened). */
export async function openSettings(user: UserEvent): Promise<void> {
  await user.click(await screen.findByText('Settings'));
}
